using Rerank.Lucene.Retrieval;

namespace Rerank.Training.Mining;

/// <summary>
/// <see cref="ICandidateSource"/> over a first stage of the index (<see cref="ICandidateRetriever"/>: BM25 with
/// the analyzer, k1 and b its manifest records, or hybrid BM25 + dense when the index has vectors, as
/// Sentence Transformers' <c>mine_hard_negatives</c> mines with an embedding model), with the stage's
/// deterministic tie order. Converts its 1-based ranks to 0-based positions. The retriever stays owned by the caller.
/// </summary>
internal sealed class RetrieverCandidateSource : ICandidateSource
{
    private readonly ICandidateRetriever _retriever;

    /// <summary>Candidates from <paramref name="retriever"/>.</summary>
    public RetrieverCandidateSource(ICandidateRetriever retriever) => _retriever = retriever;

    /// <inheritdoc />
    public IReadOnlyList<Candidate> Search(string query, int depth) =>
        _retriever.Rank(query, depth).Select(h => new Candidate(h.DocId, h.Rank - 1, h.Score)).ToArray();
}
