using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Training.Losses;

/// <summary>
/// Pointwise binary cross-entropy on logits, the same quantity as PyTorch's
/// <c>BCEWithLogitsLoss(pos_weight=w)</c> averaged over the valid cells:
/// <c>-[w * y * log(sigmoid(s)) + (1 - y) * log(1 - sigmoid(s))]</c>.
/// Labels may be soft (any value in [0, 1]).
/// </summary>
internal sealed class BinaryCrossEntropyLoss : IRankingLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="positiveWeight">
    /// The weight <c>w</c> of the positive term. With one positive and N negatives per query a
    /// weight of N balances the two classes (the guide's advice); the trainer's default is the
    /// number of negatives per positive in the training rows.
    /// </param>
    public BinaryCrossEntropyLoss(double positiveWeight)
    {
        if (!(positiveWeight > 0) || double.IsInfinity(positiveWeight))
        {
            throw new ArgumentOutOfRangeException(nameof(positiveWeight), positiveWeight,
                "The positive weight of binary cross-entropy must be a finite number > 0 (e.g. the number of negatives per positive).");
        }
        PositiveWeight = positiveWeight;
    }

    /// <summary>The weight of the positive term.</summary>
    public double PositiveWeight { get; }

    /// <inheritdoc />
    public string Name => "BinaryCrossEntropy";

    /// <inheritdoc />
    public Tensor Forward(Tensor scores, Tensor labels, Tensor valid)
    {
        using var scope = NewDisposeScope();
        // log(sigmoid(s)) = -softplus(-s) and log(1 - sigmoid(s)) = -softplus(s): stable for large |s|.
        var positiveTerm = labels * nn.functional.softplus(-scores) * PositiveWeight;
        var negativeTerm = (1 - labels) * nn.functional.softplus(scores);
        var perCell = (positiveTerm + negativeTerm) * valid.to_type(scores.dtype);
        var loss = perCell.sum() / valid.sum().to_type(scores.dtype).clamp_min(1);
        return loss.MoveToOuterDisposeScope();
    }
}
