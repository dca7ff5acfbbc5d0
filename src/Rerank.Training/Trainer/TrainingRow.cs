namespace Rerank.Training.Trainer;

/// <summary>
/// One unit of training: a query with its candidate documents and their labels. For groups the
/// first candidate is a positive and the rest are negatives; a labelled pair is a row of one.
/// </summary>
/// <param name="Query">The query text.</param>
/// <param name="Documents">Candidate texts, positive first.</param>
/// <param name="Labels">One label per candidate, in [0, 1].</param>
internal sealed record TrainingRow(string Query, IReadOnlyList<string> Documents, IReadOnlyList<float> Labels)
{
    /// <summary>A cheap length key for bucketing: characters of the query plus its longest candidate.</summary>
    public int LengthKey => Query.Length + Documents.Max(d => d.Length);
}
