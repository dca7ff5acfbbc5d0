namespace Rerank.Lucene.Retrieval;

/// <summary>One result of a first stage (<see cref="ICandidateRetriever.Search"/>), with the stored text for reranking.</summary>
/// <param name="Rank">1-based rank.</param>
/// <param name="DocId">The document id from the corpus.</param>
/// <param name="Score">The stage's score (single precision): BM25 as Lucene computed it, the inner product of query and document vectors, or the fused score.</param>
/// <param name="Title">The stored title (empty when none).</param>
/// <param name="Text">The stored text.</param>
public sealed record SearchHit(int Rank, string DocId, float Score, string Title, string Text);
