namespace Rerank.Training.Mining;

/// <summary>Keeps the candidates that may serve as negatives: inside the rank range and not judged relevant.</summary>
internal static class CandidateFilter
{
    /// <summary>
    /// The candidates with <c>rangeMin &lt;= Position &lt; rangeMax</c> (0-based positions, so
    /// range [10, 100) skips the top 10 hits and keeps the 11th to the 100th) whose id is not in
    /// <paramref name="positiveIds"/>, in rank order. Positives are excluded wherever they rank;
    /// they do not shift the range (it is counted on the original ranking).
    /// </summary>
    public static IReadOnlyList<Candidate> Apply(
        IReadOnlyList<Candidate> candidates, IReadOnlySet<string> positiveIds, int rangeMin, int rangeMax) =>
        candidates
            .Where(c => c.Position >= rangeMin && c.Position < rangeMax && !positiveIds.Contains(c.DocId))
            .OrderBy(c => c.Position)
            .ToArray();
}
