namespace Rerank.Training.Mining;

/// <summary>
/// Retrieves candidate documents for a query: BM25 over the index with the index's own settings
/// in production (an adapter over the Lucene BM25 searcher), a fixed list in tests.
/// </summary>
public interface ICandidateSource
{
    /// <summary>The top <paramref name="depth"/> documents for <paramref name="query"/>, best first, positions 0, 1, 2, ...</summary>
    IReadOnlyList<Candidate> Search(string query, int depth);
}
