using Rerank.Training.Optimization;

namespace Rerank.Lucene.Tests.Training.Optimization;

public sealed class LinearWarmupScheduleTests
{
    [Theory]
    // peak 1e-3, 10 steps, 2 warmup: warmup k/2 * peak for k < 2, then (10 - k) / 8 * peak.
    [InlineData(0, 0.0)]        // 0 / 2
    [InlineData(1, 0.0005)]     // 1 / 2
    [InlineData(2, 0.001)]      // (10 - 2) / 8 = 1
    [InlineData(6, 0.0005)]     // (10 - 6) / 8 = 0.5
    [InlineData(9, 0.000125)]   // (10 - 9) / 8 = 0.125
    [InlineData(10, 0.0)]       // end of the run
    [InlineData(12, 0.0)]       // past the end: clamped at 0
    public void LearningRate_TenStepsTwoWarmup_MatchesHandComputed(int step, double expected)
    {
        var schedule = new LinearWarmupSchedule(1e-3, totalSteps: 10, warmupSteps: 2);
        Assert.Equal(expected, schedule.LearningRate(step), 12);
    }

    [Fact]
    public void LearningRate_NoWarmup_StartsAtPeak()
    {
        var schedule = new LinearWarmupSchedule(2e-5, totalSteps: 4, warmupSteps: 0);
        // (4 - 0) / 4 = 1; (4 - 3) / 4 = 0.25
        Assert.Equal(2e-5, schedule.LearningRate(0), 15);
        Assert.Equal(5e-6, schedule.LearningRate(3), 15);
    }

    [Theory]
    [InlineData(100, 0.1, 10)]  // 100 * 0.1 = 10
    [InlineData(15, 0.1, 2)]    // ceil(1.5) = 2
    [InlineData(7, 0.0, 0)]
    public void WarmupStepsFor_Ratio_RoundsUp(int total, double ratio, int expected)
    {
        Assert.Equal(expected, LinearWarmupSchedule.WarmupStepsFor(total, ratio));
    }
}
