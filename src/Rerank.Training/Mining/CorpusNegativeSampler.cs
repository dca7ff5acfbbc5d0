using Rerank.Training.Data;

namespace Rerank.Training.Mining;

/// <summary>
/// Draws easy negatives uniformly from the whole corpus, never a document in
/// <c>excluded</c> (the query's positives and the negatives already picked). Random
/// documents are almost never relevant, so they are not passed through the false-negative filter.
/// </summary>
internal static class CorpusNegativeSampler
{
    /// <summary>
    /// Up to <paramref name="count"/> distinct document ids, in the order drawn. Draws are
    /// uniform over <see cref="IDocumentStore.DocIds"/> and redrawn when excluded or repeated; after
    /// <c>20 × count + 100</c> draws it gives up and returns fewer (only when nearly every document is
    /// excluded, i.e. tiny corpora), which the miner reports as running short.
    /// </summary>
    public static IReadOnlyList<string> Sample(IDocumentStore store, int count, IReadOnlySet<string> excluded, SeededRandom rng)
    {
        var ids = store.DocIds;
        var picked = new List<string>(count);
        if (ids.Count == 0) return picked;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var draws = 0; picked.Count < count && draws < 20 * count + 100; draws++)
        {
            var id = ids[rng.NextInt(ids.Count)];
            if (!excluded.Contains(id) && seen.Add(id)) picked.Add(id);
        }
        return picked;
    }
}
