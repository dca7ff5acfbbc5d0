namespace Rerank.Training.Optimization;

/// <summary>
/// Learning rate that rises linearly from 0 to the peak over the warmup steps, then falls
/// linearly to 0 at the last step: Hugging Face's <c>get_linear_schedule_with_warmup</c>.
/// As there, optimizer update number k (0-based) uses <c>LearningRate(k)</c>, so with warmup
/// the very first update has rate 0.
/// </summary>
internal sealed class LinearWarmupSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="peakLearningRate">The rate reached at the end of warmup.</param>
    /// <param name="totalSteps">Optimizer updates in the whole run (at least 1).</param>
    /// <param name="warmupSteps">Updates spent warming up (0 to <paramref name="totalSteps"/>).</param>
    public LinearWarmupSchedule(double peakLearningRate, int totalSteps, int warmupSteps)
    {
        if (!(peakLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(peakLearningRate), peakLearningRate, "The learning rate must be > 0.");
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "A run needs at least one optimizer step.");
        if (warmupSteps < 0 || warmupSteps > totalSteps) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, $"Warmup steps must be between 0 and the total steps ({totalSteps}).");
        PeakLearningRate = peakLearningRate;
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
    }

    /// <summary>The peak rate.</summary>
    public double PeakLearningRate { get; }

    /// <summary>Optimizer updates in the run.</summary>
    public int TotalSteps { get; }

    /// <summary>Warmup updates.</summary>
    public int WarmupSteps { get; }

    /// <summary>
    /// Warmup steps for a ratio of the total, rounded up as Hugging Face's
    /// <c>TrainingArguments.get_warmup_steps</c> does (<c>ceil(total * ratio)</c>).
    /// </summary>
    public static int WarmupStepsFor(int totalSteps, double warmupRatio)
    {
        if (warmupRatio < 0 || warmupRatio > 1 || double.IsNaN(warmupRatio))
        {
            throw new ArgumentOutOfRangeException(nameof(warmupRatio), warmupRatio, "The warmup ratio must be between 0 and 1.");
        }
        return (int)Math.Ceiling(totalSteps * warmupRatio);
    }

    /// <summary>The rate for optimizer update <paramref name="step"/> (0-based); 0 from the last step on.</summary>
    public double LearningRate(int step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "Steps count from 0.");
        if (step < WarmupSteps) return PeakLearningRate * step / WarmupSteps;
        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        return PeakLearningRate * Math.Max(0.0, (double)(TotalSteps - step) / decaySteps);
    }
}
