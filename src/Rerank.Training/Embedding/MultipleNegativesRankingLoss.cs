using static TorchSharp.torch;

namespace Rerank.Training.Embedding;

/// <summary>
/// Multiple-negatives ranking loss (sentence-transformers' <c>MultipleNegativesRankingLoss</c>, also called
/// InfoNCE with in-batch negatives): for a batch of B rows (query q_i, positive p_i, optionally hard negative n_i),
/// every query is scored against every candidate of the batch, <c>s_ij = scale · cos(q_i, c_j)</c> with
/// <c>c = [p_1..p_B, n_1..n_B]</c>, and the loss is the cross-entropy with target j = i (the row's own positive),
/// averaged over rows: <c>mean_i (logsumexp_j s_ij - s_ii)</c>. The other rows' positives and every hard negative
/// are negatives of query i.
/// </summary>
/// <remarks>
/// The cosine is computed here (rows are L2-normalised first), so the loss is right whether or not the encoder
/// normalises its vectors. Duplicates across rows (the same query or document in two rows) make a row's positive
/// also one of its negatives; the batches must avoid them (<see cref="NoDuplicateBatches"/>).
/// </remarks>
internal sealed class MultipleNegativesRankingLoss
{
    /// <summary>The scale sentence-transformers uses by default (20: cosine scores in [-20, 20]).</summary>
    public const double DefaultScale = 20.0;

    /// <summary>A loss with the given scale (the inverse temperature).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> is not a positive finite number.</exception>
    public MultipleNegativesRankingLoss(double scale = DefaultScale)
    {
        if (!(scale > 0 && double.IsFinite(scale))) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be a positive finite number (default 20).");
        Scale = scale;
    }

    /// <summary>The factor the cosine similarities are multiplied by.</summary>
    public double Scale { get; }

    /// <summary>
    /// The loss, a scalar tensor. <paramref name="queries"/> and <paramref name="positives"/> are [B, H];
    /// <paramref name="negatives"/> is [B, H] (row i: query i's hard negative) or null for in-batch negatives only.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not agree.</exception>
    public Tensor Forward(Tensor queries, Tensor positives, Tensor? negatives)
    {
        if (queries.dim() != 2 || !queries.shape.SequenceEqual(positives.shape) || (negatives is not null && !negatives.shape.SequenceEqual(queries.shape)))
        {
            throw new ArgumentException(
                $"Queries, positives and negatives must be [B, H] of one shape; got [{string.Join(", ", queries.shape)}], "
                + $"[{string.Join(", ", positives.shape)}]{(negatives is null ? "" : $", [{string.Join(", ", negatives.shape)}]")}.");
        }
        using var scope = NewDisposeScope();
        var candidates = negatives is null ? positives : cat([positives, negatives], 0); // [B or 2B, H]
        var scores = Scores(queries, candidates);                                      // [B, B or 2B]
        var target = arange(queries.shape[0], dtype: ScalarType.Int64, device: queries.device);
        return nn.functional.cross_entropy(scores, target).MoveToOuterDisposeScope();
    }

    /// <summary>The score matrix <c>scale · cos(q_i, c_j)</c>, [B, C], for queries [B, H] and candidates [C, H].</summary>
    public Tensor Scores(Tensor queries, Tensor candidates)
    {
        using var scope = NewDisposeScope();
        var q = nn.functional.normalize(queries, p: 2, dim: 1);
        var c = nn.functional.normalize(candidates, p: 2, dim: 1);
        return (q.matmul(c.t()) * Scale).MoveToOuterDisposeScope();
    }
}
