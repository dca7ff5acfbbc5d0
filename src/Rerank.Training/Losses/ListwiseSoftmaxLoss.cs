using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Training.Losses;

/// <summary>
/// Listwise softmax cross-entropy: for each row, <c>-log softmax(s)[0]</c> over the valid
/// candidates, i.e. <c>logsumexp(s) - s_0</c>, averaged over rows. Labels are not read: the
/// positive is the first candidate by convention.
/// </summary>
internal sealed class ListwiseSoftmaxLoss : IRankingLoss
{
    /// <inheritdoc />
    public string Name => "ListwiseSoftmax";

    /// <inheritdoc />
    public Tensor Forward(Tensor scores, Tensor labels, Tensor valid)
    {
        using var scope = NewDisposeScope();
        var masked = scores.masked_fill(valid.logical_not(), double.NegativeInfinity);
        var perRow = masked.logsumexp(1) - scores.select(1, 0);
        return perRow.mean().MoveToOuterDisposeScope();
    }
}
