namespace Rerank.Training.Trainer;

/// <summary>
/// What the validation callback gets: the model being trained, as a scorer of (query, document)
/// pairs. Scoring runs in eval mode without gradients; the trainer restores train mode after.
/// </summary>
public interface IPairScorer
{
    /// <summary>One logit per pair, in the given order; <paramref name="ct"/> cancels between batches.</summary>
    float[] Score(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct = default);
}
