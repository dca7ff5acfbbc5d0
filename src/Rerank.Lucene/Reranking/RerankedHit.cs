namespace Rerank.Lucene.Reranking;

/// <summary>A reranked search result with both rankings' evidence.</summary>
/// <param name="Rank">Final 1-based rank.</param>
/// <param name="DocId">Document id.</param>
/// <param name="Score">Final score (see <see cref="ScoreMode"/>).</param>
/// <param name="FirstStageRank">1-based rank in the first stage's candidates (BM25, dense or hybrid).</param>
/// <param name="FirstStageScore">The first stage's score (BM25, inner product or fused).</param>
/// <param name="CrossEncoderScore">Cross-encoder score (after the model's activation).</param>
/// <param name="Title">Stored title.</param>
/// <param name="Text">Stored text.</param>
public sealed record RerankedHit(
    int Rank, string DocId, double Score, int FirstStageRank, float FirstStageScore, float CrossEncoderScore, string Title, string Text);
