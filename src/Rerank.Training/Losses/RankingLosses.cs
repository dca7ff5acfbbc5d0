namespace Rerank.Training.Losses;

/// <summary>Builds the loss a <see cref="LossKind"/> names.</summary>
internal static class RankingLosses
{
    /// <summary>Creates the loss.</summary>
    /// <param name="kind">The objective.</param>
    /// <param name="positiveWeight">The positive weight of binary cross-entropy (ignored by the others).</param>
    public static IRankingLoss Create(LossKind kind, double positiveWeight) => kind switch
    {
        LossKind.BinaryCrossEntropy => new BinaryCrossEntropyLoss(positiveWeight),
        LossKind.ListwiseSoftmax => new ListwiseSoftmaxLoss(),
        LossKind.PairwiseLogistic => new PairwiseLogisticLoss(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown loss kind."),
    };
}
