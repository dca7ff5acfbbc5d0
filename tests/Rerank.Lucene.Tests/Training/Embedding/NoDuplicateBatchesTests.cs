using Rerank.Training.Data;
using Rerank.Training.Embedding;

namespace Rerank.Lucene.Tests.Training.Embedding;

public sealed class NoDuplicateBatchesTests
{
    private static BiEncoderTrainingRow Row(string qid, string pos, string neg) =>
        new(qid, "query " + qid, new TrainingDocument(pos, "text " + pos), new TrainingDocument(neg, "text " + neg));

    [Fact]
    public void Plan_RowsSharingQueryOrDocument_NeverShareABatch()
    {
        // q1 has two positives (two rows); d3 is q2's negative and q3's positive; the other rows are distinct.
        var rows = new[]
        {
            Row("q1", "d1", "n1"), Row("q1", "d2", "n2"), Row("q2", "d5", "d3"), Row("q3", "d3", "n3"),
            Row("q4", "d4", "n4"), Row("q5", "d6", "n5"), Row("q6", "d7", "n6"), Row("q7", "d8", "n7"),
        };
        for (var seed = 0; seed < 20; seed++)
        {
            var batches = NoDuplicateBatches.Plan(rows, 4, new SeededRandom((ulong)seed));
            Assert.Equal(Enumerable.Range(0, rows.Length), batches.SelectMany(b => b).Order());
            foreach (var batch in batches)
            {
                Assert.InRange(batch.Length, 1, 4);
                Assert.False(batch.Contains(0) && batch.Contains(1), $"seed {seed}: the two rows of q1 share a batch");
                Assert.False(batch.Contains(2) && batch.Contains(3), $"seed {seed}: d3 is a positive and a negative in one batch");
            }
        }
    }

    [Fact]
    public void Plan_SameSeed_SameBatches_OtherSeed_OtherOrder()
    {
        var rows = Enumerable.Range(0, 40).Select(i => Row($"q{i}", $"d{i}", $"n{i}")).ToArray();
        var a = NoDuplicateBatches.Plan(rows, 8, SeededRandom.For(42, "bi-encoder-batches", "epoch 0"));
        var b = NoDuplicateBatches.Plan(rows, 8, SeededRandom.For(42, "bi-encoder-batches", "epoch 0"));
        var c = NoDuplicateBatches.Plan(rows, 8, SeededRandom.For(42, "bi-encoder-batches", "epoch 1"));
        Assert.Equal(a.SelectMany(x => x), b.SelectMany(x => x));
        Assert.NotEqual(a.SelectMany(x => x), c.SelectMany(x => x));
        Assert.Equal([8, 8, 8, 8, 8], a.Select(x => x.Length));
    }
}
