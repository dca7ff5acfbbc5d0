namespace Rerank.Training.Mining;

/// <summary>One retrieved document for a query.</summary>
/// <param name="DocId">The document's id in the index.</param>
/// <param name="Position">0-based position in the ranking: the top hit has position 0 (TREC rank = position + 1).</param>
/// <param name="Score">The retrieval (BM25) score.</param>
public sealed record Candidate(string DocId, int Position, float Score);
