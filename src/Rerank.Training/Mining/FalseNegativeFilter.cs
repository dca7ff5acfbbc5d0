namespace Rerank.Training.Mining;

/// <summary>
/// Drops candidates a scorer (the cross-encoder, plugged in by the caller) judges about as
/// relevant as the query's known positives: on sparse judgments, such "negatives" are often
/// unjudged relevant documents, and training against them teaches the model the wrong thing.
/// </summary>
/// <remarks>
/// Rule: with <c>floor = min(score of each positive) - margin</c>, a candidate is kept only when
/// <c>score &lt; floor</c> (strictly); a score equal to the floor is dropped. Worked example:
/// positives score 0.9 and 0.7, margin 0.1 → floor 0.6; candidates at 0.59 are kept, at 0.6 and
/// 0.65 dropped. Scores are compared as the scorer returns them (logits or probabilities alike).
/// </remarks>
internal sealed class FalseNegativeFilter
{
    private readonly Func<string, IReadOnlyList<string>, float[]> _score;
    private readonly float _margin;

    /// <summary>Filters with <paramref name="score"/> (query, documents) → one score per document.</summary>
    public FalseNegativeFilter(Func<string, IReadOnlyList<string>, float[]> score, float margin)
    {
        ArgumentNullException.ThrowIfNull(score);
        if (!(margin >= 0 && float.IsFinite(margin))) throw new ArgumentOutOfRangeException(nameof(margin), margin, "margin must be finite and >= 0");
        _score = score;
        _margin = margin;
    }

    /// <summary>
    /// The indices (ascending) of the <paramref name="candidates"/> to keep. Positives and
    /// candidates are scored in one call, positives first. With no positive texts everything is kept.
    /// </summary>
    public IReadOnlyList<int> KeptIndices(string query, IReadOnlyList<string> positives, IReadOnlyList<string> candidates)
    {
        if (positives.Count == 0 || candidates.Count == 0) return Enumerable.Range(0, candidates.Count).ToArray();
        var texts = positives.Concat(candidates).ToArray();
        var scores = _score(query, texts);
        if (scores.Length != texts.Length)
            throw new InvalidOperationException($"The scorer returned {scores.Length} scores for {texts.Length} documents; expected one score per document.");
        var floor = scores.Take(positives.Count).Min() - _margin;
        return Enumerable.Range(0, candidates.Count).Where(i => scores[positives.Count + i] < floor).ToArray();
    }
}
