using Rerank.Training.Data;
using Rerank.Training.Mining;

namespace Rerank.Lucene.Tests.Training.Mining;

public sealed class NegativeSamplerTests
{
    private static readonly Candidate[] Pool = Enumerable.Range(10, 20).Select(i => new Candidate($"d{i}", i, 100 - i)).ToArray();

    [Fact]
    public void Sample_Top_FirstCountInRankOrder() =>
        Assert.Equal(["d10", "d11", "d12"], NegativeSampler.Sample(Pool, 3, SamplingStrategy.Top, new SeededRandom(1)).Select(c => c.DocId));

    [Fact]
    public void Sample_RandomSameSeed_SameNegativesInRankOrder()
    {
        var a = NegativeSampler.Sample(Pool, 4, SamplingStrategy.Random, SeededRandom.For(42, "negatives", "q1"));
        var b = NegativeSampler.Sample(Pool, 4, SamplingStrategy.Random, SeededRandom.For(42, "negatives", "q1"));

        Assert.Equal(a, b);
        Assert.Equal(4, a.Distinct().Count());
        Assert.Equal(a.OrderBy(c => c.Position), a);
        Assert.All(a, c => Assert.Contains(c, Pool));
    }

    [Fact]
    public void Sample_RandomOtherSeeds_NotAlwaysTheSame()
    {
        var draws = Enumerable.Range(0, 10)
            .Select(s => string.Join(",", NegativeSampler.Sample(Pool, 4, SamplingStrategy.Random, SeededRandom.For(s, "negatives", "q1")).Select(c => c.DocId)))
            .Distinct()
            .Count();

        Assert.True(draws > 1);
    }

    [Theory]
    [InlineData(SamplingStrategy.Top)]
    [InlineData(SamplingStrategy.Random)]
    public void Sample_PoolSmallerThanCount_AllOfItInRankOrder(SamplingStrategy strategy) =>
        Assert.Equal(["d10", "d11"], NegativeSampler.Sample(Pool[..2], 4, strategy, new SeededRandom(3)).Select(c => c.DocId));
}
