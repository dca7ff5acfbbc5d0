using Rerank.Lucene.Reranking;

namespace Rerank.Lucene.Tests.Reranking;

public sealed class ScoreCombinerTests
{
    [Fact]
    public void Combine_Replace_ReturnsCrossEncoderScores()
    {
        var final = ScoreCombiner.Combine([10, 6, 8], [0.2, 0.9, 0.5], ScoreMode.Replace, weight: 0.3);

        Assert.Equal([0.2, 0.9, 0.5], final);
    }

    [Fact]
    public void Combine_Interpolate_MatchesHandComputed()
    {
        // minmax(BM25 [10, 6, 8]) = [1, 0, 0.5]; minmax(CE [0.2, 0.9, 0.5]) = [0, 1, 0.3/0.7 = 0.428571...]
        // final = 0.25 * CE + 0.75 * BM25 = [0.75, 0.25, 0.25 * 0.428571 + 0.375 = 0.482142857...]
        var final = ScoreCombiner.Combine([10, 6, 8], [0.2, 0.9, 0.5], ScoreMode.Interpolate, weight: 0.25);

        Assert.Equal(0.75, final[0], 12);
        Assert.Equal(0.25, final[1], 12);
        Assert.Equal(0.482142857142857, final[2], 12);
    }

    [Fact]
    public void MinMax_AllEqual_MapsToZero()
    {
        Assert.Equal([0.0, 0.0], ScoreCombiner.MinMax([3.5, 3.5]));
    }

    [Fact]
    public void Combine_WeightOutOfRange_Throws()
    {
        var e = Assert.Throws<InvalidInputException>(() => ScoreCombiner.Combine([1], [1], ScoreMode.Interpolate, 1.5));

        Assert.Equal("Interpolation weight must be between 0 and 1; got 1.5.", e.Message);
    }
}
