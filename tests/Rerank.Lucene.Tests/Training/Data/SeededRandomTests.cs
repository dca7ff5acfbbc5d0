using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

public sealed class SeededRandomTests
{
    [Fact]
    public void NextUInt64_StateZero_SplitMix64ReferenceValue() =>
        // First output of SplitMix64 from state 0 (the reference C implementation by Vigna).
        Assert.Equal(0xE220A8397B1DCDAFUL, new SeededRandom(0).NextUInt64());

    [Fact]
    public void For_SameSeedPurposeKey_SameStream_OtherKeyDiffers()
    {
        var a = SeededRandom.For(42, "negatives", "q1");
        var b = SeededRandom.For(42, "negatives", "q1");
        var c = SeededRandom.For(42, "negatives", "q2");
        var d = SeededRandom.For(43, "negatives", "q1");

        var first = a.NextUInt64();
        Assert.Equal(first, b.NextUInt64());
        Assert.NotEqual(first, c.NextUInt64());
        Assert.NotEqual(first, d.NextUInt64());
    }

    [Fact]
    public void SampleIndices_CountBelowN_DistinctInRange()
    {
        var picked = new SeededRandom(5).SampleIndices(10, 4);

        Assert.Equal(4, picked.Distinct().Count());
        Assert.All(picked, i => Assert.InRange(i, 0, 9));
    }

    [Fact]
    public void SampleIndices_CountAboveN_AllOfThem() =>
        Assert.Equal([0, 1, 2], new SeededRandom(5).SampleIndices(3, 10).Order());
}
