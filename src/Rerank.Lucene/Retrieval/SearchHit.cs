namespace Rerank.Lucene.Retrieval;

/// <summary>One result of <see cref="Bm25Searcher.Search"/>, with the stored text for reranking.</summary>
/// <param name="Rank">1-based rank.</param>
/// <param name="DocId">The document id from the corpus.</param>
/// <param name="Score">The BM25 score as Lucene computed it (single precision).</param>
/// <param name="Title">The stored title (empty when none).</param>
/// <param name="Text">The stored text.</param>
public sealed record SearchHit(int Rank, string DocId, float Score, string Title, string Text);
