using Rerank.Training.Mining;

namespace Rerank.Lucene.Tests.Training.Mining;

public sealed class CandidateFilterTests
{
    private static readonly Candidate[] Ten = Enumerable.Range(0, 10).Select(i => new Candidate($"d{i}", i, 10 - i)).ToArray();

    [Fact]
    public void Apply_RangeAndPositives_KeepsHalfOpenRangeWithoutPositives()
    {
        // [2, 6) keeps positions 2, 3, 4, 5; d3 is a positive; d7 is a positive outside the range.
        var kept = CandidateFilter.Apply(Ten, new HashSet<string> { "d3", "d7" }, 2, 6);

        Assert.Equal(["d2", "d4", "d5"], kept.Select(c => c.DocId));
    }

    [Fact]
    public void Apply_RangeFromZero_IncludesTopHit()
    {
        var kept = CandidateFilter.Apply(Ten, new HashSet<string>(), 0, 2);

        Assert.Equal(["d0", "d1"], kept.Select(c => c.DocId));
    }

    [Fact]
    public void Apply_RangeBeyondCandidates_KeepsWhatThereIs()
    {
        var kept = CandidateFilter.Apply(Ten[..4], new HashSet<string> { "d0" }, 0, 100);

        Assert.Equal(["d1", "d2", "d3"], kept.Select(c => c.DocId));
    }
}
