namespace Rerank.Training.Trainer;

/// <summary>
/// The order of an epoch: rows are shuffled with a System.Random seeded from (seed, epoch), cut
/// into chunks of <c>bucketBatches * batchSize</c> rows, each chunk is sorted by length (longest
/// first) and cut into batches, and the batches are shuffled again. Padding stays low (each batch
/// holds rows of similar length) while the composition of batches still changes every epoch.
/// The plan is a pure function of its arguments, so a resumed run can rebuild or verify it.
/// </summary>
internal static class BatchPlanner
{
    /// <summary>The seed of an epoch's shuffles: <c>seed * 1_000_003 + epoch</c> (a fixed mix; string hashes would change per process).</summary>
    public static int EpochSeed(int seed, int epoch) => unchecked(seed * 1_000_003 + epoch);

    /// <summary>Row indices per batch, in training order.</summary>
    public static int[][] Plan(IReadOnlyList<int> lengthKeys, int batchSize, int bucketBatches, int seed, int epoch)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be >= 1.");
        if (bucketBatches < 1) throw new ArgumentOutOfRangeException(nameof(bucketBatches), bucketBatches, "Bucket size must be >= 1 batch.");
        var random = new Random(EpochSeed(seed, epoch));
        var order = Enumerable.Range(0, lengthKeys.Count).ToArray();
        random.Shuffle(order);
        var batches = new List<int[]>();
        var chunk = batchSize * bucketBatches;
        for (var start = 0; start < order.Length; start += chunk)
        {
            // Stable sort (OrderBy) so equal lengths keep their shuffled order.
            var sorted = order.Skip(start).Take(chunk).OrderByDescending(i => lengthKeys[i]).ToArray();
            for (var b = 0; b < sorted.Length; b += batchSize) batches.Add(sorted.Skip(b).Take(batchSize).ToArray());
        }
        var plan = batches.ToArray();
        random.Shuffle(plan);
        return plan;
    }
}
