namespace Rerank.Lucene.Evaluation;

/// <summary>A retrieved document and its score, as written to a TREC run file.</summary>
/// <param name="DocId">The document id; non-empty, without whitespace.</param>
/// <param name="Score">The score, higher is better; must be finite.</param>
public readonly record struct ScoredDocument(string DocId, double Score);
