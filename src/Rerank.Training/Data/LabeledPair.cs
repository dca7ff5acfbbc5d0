namespace Rerank.Training.Data;

/// <summary>A (query, document, label) pair, as the labelled-pairs format gives it; labels are floats in [0, 1].</summary>
/// <param name="QueryId">The query's id, or a stable synthetic id.</param>
/// <param name="Query">The query text.</param>
/// <param name="Document">The document.</param>
/// <param name="Label">Relevance label in [0, 1].</param>
public sealed record LabeledPair(string QueryId, string Query, TrainingDocument Document, float Label);
