using Rerank.Training.Data;

namespace Rerank.Training.Embedding;

/// <summary>
/// Seeded batches for <see cref="MultipleNegativesRankingLoss"/> in which no query and no document occurs twice,
/// as sentence-transformers' <c>NoDuplicatesBatchSampler</c> makes them: a repeated text would be both a row's
/// positive and one of its in-batch negatives. Rows are shuffled; each batch takes, in shuffled order, the next
/// rows that share no query id, query text or document with the rows already in it, until it is full or no
/// row fits; the rows left wait for the next batch. The last batch may be smaller.
/// </summary>
internal static class NoDuplicateBatches
{
    /// <summary>Row indices per batch; every row exactly once.</summary>
    /// <param name="rows">The training rows.</param>
    /// <param name="batchSize">Rows per batch (at least 1).</param>
    /// <param name="random">The shuffle's generator.</param>
    public static IReadOnlyList<int[]> Plan(IReadOnlyList<BiEncoderTrainingRow> rows, int batchSize, SeededRandom random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var remaining = new List<int>(random.SampleIndices(rows.Count, rows.Count));
        var batches = new List<int[]>();
        while (remaining.Count > 0)
        {
            var batch = new List<int>(batchSize);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var index in remaining)
            {
                var keys = Keys(rows[index]);
                if (keys.Any(seen.Contains)) continue;
                batch.Add(index);
                seen.UnionWith(keys);
                if (batch.Count == batchSize) break;
            }
            var taken = batch.ToHashSet();
            remaining.RemoveAll(taken.Contains);
            batches.Add([.. batch]);
        }
        return batches;
    }

    private static string[] Keys(BiEncoderTrainingRow row) =>
        ["qid:" + row.QueryId, "q:" + row.Query, Document(row.Positive), Document(row.Negative)];

    private static string Document(TrainingDocument d) => d.DocId is null ? "text:" + d.Text : "id:" + d.DocId;
}
