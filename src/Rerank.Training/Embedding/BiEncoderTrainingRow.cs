using Rerank.Training.Data;

namespace Rerank.Training.Embedding;

/// <summary>One training row of the bi-encoder: a query, one of its judged positives, and one hard negative.</summary>
/// <param name="QueryId">The query's id (rows of one query are never put in one batch).</param>
/// <param name="Query">The query text.</param>
/// <param name="Positive">A relevant document (title and text joined, as the index stores them).</param>
/// <param name="Negative">A mined non-relevant document.</param>
internal sealed record BiEncoderTrainingRow(string QueryId, string Query, TrainingDocument Positive, TrainingDocument Negative)
{
    /// <summary>
    /// One row per judged positive of each group: positive i gets negative i (wrapping around the group's
    /// negatives, as <c>TrainingRows.FromGroups</c> deals them with one negative per positive; the miner draws one
    /// per positive with <c>NumNegatives = 1</c>). Groups without negatives give no rows; their ids are returned.
    /// </summary>
    public static (IReadOnlyList<BiEncoderTrainingRow> Rows, IReadOnlyList<string> WithoutNegatives) FromGroups(IReadOnlyList<TrainingGroup> groups)
    {
        var rows = new List<BiEncoderTrainingRow>();
        var without = new List<string>();
        foreach (var g in groups)
        {
            if (g.Negatives.Count == 0)
            {
                without.Add(g.QueryId);
                continue;
            }
            for (var i = 0; i < g.Positives.Count; i++)
                rows.Add(new BiEncoderTrainingRow(g.QueryId, g.Query, g.Positives[i], g.Negatives[i % g.Negatives.Count]));
        }
        return (rows, without);
    }
}
