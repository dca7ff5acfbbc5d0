using Rerank.Lucene.Evaluation;

namespace Rerank.Lucene.Tests.Evaluation;

public sealed class RandomizationTestTests
{
    [Fact]
    public void ThreeQueries_ExactPValueByHand()
    {
        // Differences 1, 2, 3 (sum 6): sign sums are ±6, ±4 (flip 1), ±2 (flip 2), ±0 (flip 3): only ±6 reach 6.
        Assert.Equal(2.0 / 8, RandomizationTest.PValue([2, 3, 4], [1, 1, 1]));
    }

    [Fact]
    public void EqualDifferences_TheMirroredAssignmentCounts()
    {
        // Differences 1, 1, 2: the 8 sign sums are 4, 2, 2, 0, 0, -2, -2, -4; |sum| >= 4 twice: p = 2/8.
        // Differences 2, 2: sums 4, 0, 0, -4: p = 2/4.
        Assert.Equal(0.25, RandomizationTest.PValue([1, 1, 2], [0, 0, 0]));
        Assert.Equal(0.5, RandomizationTest.PValue([2, 2], [0, 0]));
    }

    [Fact]
    public void NoDifference_PIsOne()
    {
        Assert.Equal(1.0, RandomizationTest.PValue([0.5, 0.25, 1], [0.5, 0.25, 1]));
    }

    [Fact]
    public void ManyQueries_SampledPValueCloseToTheExactBinomialValue()
    {
        // 400 queries, differences +1 on 220 and -1 on 180: sum 40. Every sign assignment is a sum of 400 ±1s.
        var a = Enumerable.Range(0, 400).Select(i => i < 220 ? 1.0 : 0.0).ToArray();
        var b = Enumerable.Range(0, 400).Select(i => i < 220 ? 0.0 : 1.0).ToArray();

        var p = RandomizationTest.PValue(a, b, samples: 200_000);

        // Exact: P(|2K - 400| >= 40) for K ~ Binomial(400, 1/2) is 0.0510; sampling noise is about 0.0005.
        Assert.InRange(p, 0.048, 0.054);
    }
}

public sealed class BootstrapIntervalTests
{
    [Fact]
    public void ConstantValues_IntervalIsThePoint()
    {
        Assert.Equal((0.5, 0.5), BootstrapInterval.OfMean([0.5, 0.5, 0.5]));
    }

    [Fact]
    public void ManyZeroOneValues_CloseToTheNormalInterval()
    {
        // 400 queries, 200 of value 1: mean 0.5, standard error sqrt(0.25 / 400) = 0.025, 95% ≈ 0.5 ± 0.049.
        var values = Enumerable.Range(0, 400).Select(i => i % 2 == 0 ? 1.0 : 0.0).ToArray();

        var (low, high) = BootstrapInterval.OfMean(values);

        Assert.InRange(low, 0.445, 0.458);
        Assert.InRange(high, 0.542, 0.555);
    }

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(4, 0.125)]
    [InlineData(5, 0.0625)]
    [InlineData(6, 0.03125)]
    public void SmallestPValue_IsTwoOverTwoToTheN_AndPValueReachesIt(int n, double expected)
    {
        // Hand-computed: all n differences of one sign; only that assignment and its mirror reach the observed |sum|.
        Assert.Equal(expected, RandomizationTest.SmallestPValue(n));
        var better = Enumerable.Range(1, n).Select(i => 0.5 + 0.01 * i).ToArray();
        var worse = new double[n];
        Assert.Equal(expected, RandomizationTest.PValue(better, worse), 12);
    }

    [Fact]
    public void SmallestPValue_AboveTheExactLimit_IsOneOverSamplesPlusOne()
    {
        Assert.Equal(1.0 / 1001, RandomizationTest.SmallestPValue(RandomizationTest.ExactUpTo + 1, samples: 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomizationTest.SmallestPValue(0));
    }
}
