namespace Rerank.Lucene.Retrieval;

/// <summary>A retrieved document without its stored fields: what deep runs (e.g. 1,000 per query) need.</summary>
/// <param name="Rank">1-based rank.</param>
/// <param name="DocId">The document's id.</param>
/// <param name="Score">The first stage's score: BM25, inner product (dense) or fused (hybrid).</param>
public sealed record RankedDocument(int Rank, string DocId, float Score);
