using Rerank.Training.Trainer;

namespace Rerank.Lucene.Tests.Training.Trainer;

public sealed class BatchPlannerTests
{
    private static readonly int[] Lengths = [5, 50, 7, 90, 30, 10, 60, 20, 80, 40];

    [Fact]
    public void Plan_TenRowsBatchThree_CoversEveryRowOnce()
    {
        var plan = BatchPlanner.Plan(Lengths, batchSize: 3, bucketBatches: 10, seed: 1, epoch: 0);
        // One chunk of 30 >= 10 rows, sorted: batches of 3, 3, 3, 1.
        Assert.Equal(Enumerable.Range(0, 10), plan.SelectMany(b => b).Order());
        Assert.Equal([1, 3, 3, 3], plan.Select(b => b.Length).Order());
    }

    [Fact]
    public void Plan_OneChunk_BatchesHoldNeighboursInLength()
    {
        var plan = BatchPlanner.Plan(Lengths, batchSize: 3, bucketBatches: 10, seed: 1, epoch: 0);
        // Sorted lengths 90 80 60 | 50 40 30 | 20 10 7 | 5: each batch is a contiguous run of that order.
        var batches = plan.Select(b => b.Select(i => Lengths[i]).OrderDescending().ToArray()).OrderByDescending(b => b[0]).ToList();
        Assert.Equal([90, 80, 60], batches[0]);
        Assert.Equal([50, 40, 30], batches[1]);
        Assert.Equal([20, 10, 7], batches[2]);
        Assert.Equal([5], batches[3]);
    }

    [Fact]
    public void Plan_SameSeedAndEpoch_IsIdentical_OtherEpoch_Differs()
    {
        var a = BatchPlanner.Plan(Lengths, 2, 1, seed: 42, epoch: 3);
        var b = BatchPlanner.Plan(Lengths, 2, 1, seed: 42, epoch: 3);
        var c = BatchPlanner.Plan(Lengths, 2, 1, seed: 42, epoch: 4);
        Assert.Equal(a, b);
        Assert.NotEqual(a.SelectMany(x => x), c.SelectMany(x => x));
    }
}
