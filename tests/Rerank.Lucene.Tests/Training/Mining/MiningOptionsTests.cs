using Rerank.Training.Mining;

namespace Rerank.Lucene.Tests.Training.Mining;

public sealed class MiningOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var o = new MiningOptions();

        Assert.Equal((10, 100, 4, SamplingStrategy.Random, 0, 0f, 42), (o.RangeMin, o.RangeMax, o.NumNegatives, o.Sampling, o.CorpusNegatives, o.FalseNegativeMargin, o.Seed));
        o.Validate();
    }

    [Theory]
    [InlineData(-1, 100, 4, 0, 0f, "mining range_min is -1; expected 0 or more (default 10).")]
    [InlineData(50, 50, 4, 0, 0f, "mining range [50, 50) is empty; range_max must be greater than range_min (defaults 10 and 100).")]
    [InlineData(0, 10, -1, 0, 0f, "mining asks for -1 hard and 0 corpus negatives; expected counts of 0 or more (default 4 and 0).")]
    [InlineData(0, 10, 0, 0, 0f, "mining asks for no negatives; set --negatives or --corpus-negatives to 1 or more.")]
    [InlineData(0, 10, 4, 0, -0.5f, "false-negative margin is -0.5; expected a finite number of 0 or more (default 0).")]
    public void Validate_Bad_SaysWhatAndDefault(int min, int max, int hard, int corpus, float margin, string expected)
    {
        var o = new MiningOptions { RangeMin = min, RangeMax = max, NumNegatives = hard, CorpusNegatives = corpus, FalseNegativeMargin = margin };

        Assert.Equal(expected, Assert.Throws<InvalidInputException>(o.Validate).Message);
    }
}
