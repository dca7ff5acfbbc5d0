namespace Rerank.Training.Data;

/// <summary>
/// One training query with its positive documents and its negatives, as texts. Every loss can be
/// fed from groups: pointwise losses expand them to labelled pairs, listwise losses score the
/// positive against the negatives.
/// </summary>
/// <param name="QueryId">The query's id (or a stable synthetic id for triples and pseudo-queries).</param>
/// <param name="Query">The query text.</param>
/// <param name="Positives">Relevant documents (at least one).</param>
/// <param name="Negatives">Non-relevant documents, e.g. mined from the index.</param>
public sealed record TrainingGroup(
    string QueryId,
    string Query,
    IReadOnlyList<TrainingDocument> Positives,
    IReadOnlyList<TrainingDocument> Negatives);
