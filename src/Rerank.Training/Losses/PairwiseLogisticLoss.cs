using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Training.Losses;

/// <summary>
/// RankNet's pairwise logistic loss: for every pair (i, j) of valid candidates in the same row
/// with <c>label_i &gt; label_j</c>, <c>log(1 + exp(-(s_i - s_j))) = softplus(s_j - s_i)</c>,
/// averaged over all such pairs in the batch. It works from relevance labels alone (no teacher,
/// unlike MarginMSE), it only asks for the right order, and with graded labels it uses every
/// ordered pair, not only positive-versus-negative.
/// </summary>
internal sealed class PairwiseLogisticLoss : IRankingLoss
{
    /// <inheritdoc />
    public string Name => "PairwiseLogistic";

    /// <inheritdoc />
    public Tensor Forward(Tensor scores, Tensor labels, Tensor valid)
    {
        using var scope = NewDisposeScope();
        // [rows, i, j]: s_j - s_i and the mask of ordered pairs.
        var diff = scores.unsqueeze(1) - scores.unsqueeze(2);
        var higher = labels.unsqueeze(2) > labels.unsqueeze(1);
        var bothValid = valid.unsqueeze(2).logical_and(valid.unsqueeze(1));
        var pairMask = higher.logical_and(bothValid).to_type(scores.dtype);
        var loss = (nn.functional.softplus(diff) * pairMask).sum() / pairMask.sum().clamp_min(1);
        return loss.MoveToOuterDisposeScope();
    }
}
