namespace Rerank.Lucene.Reranking;

/// <summary>A reranked search result with both rankings' evidence.</summary>
/// <param name="Rank">Final 1-based rank.</param>
/// <param name="DocId">Document id.</param>
/// <param name="Score">Final score (see <see cref="ScoreMode"/>).</param>
/// <param name="Bm25Rank">1-based rank in the BM25 candidates.</param>
/// <param name="Bm25Score">BM25 score.</param>
/// <param name="CrossEncoderScore">Cross-encoder score (after the model's activation).</param>
/// <param name="Title">Stored title.</param>
/// <param name="Text">Stored text.</param>
public sealed record RerankedHit(
    int Rank, string DocId, double Score, int Bm25Rank, float Bm25Score, float CrossEncoderScore, string Title, string Text);
