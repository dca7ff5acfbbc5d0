using Rerank.Lucene.Retrieval;

namespace Rerank.Training.Mining;

/// <summary>
/// <see cref="ICandidateSource"/> over an open <see cref="Bm25Searcher"/>: BM25 with the analyzer,
/// k1 and b the index's manifest records, and the searcher's deterministic tie order (score
/// rounded to 4 decimals, then doc id). Converts the searcher's 1-based ranks to 0-based positions.
/// The searcher stays owned by the caller.
/// </summary>
internal sealed class Bm25CandidateSource : ICandidateSource
{
    private readonly Bm25Searcher _searcher;

    /// <summary>Candidates from <paramref name="searcher"/>'s index.</summary>
    public Bm25CandidateSource(Bm25Searcher searcher) => _searcher = searcher;

    /// <inheritdoc />
    public IReadOnlyList<Candidate> Search(string query, int depth) =>
        _searcher.Search(query, depth).Select(h => new Candidate(h.DocId, h.Rank - 1, h.Score)).ToArray();
}
