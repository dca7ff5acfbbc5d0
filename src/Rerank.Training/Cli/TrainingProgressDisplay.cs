using System.Globalization;
using Rerank.Training.Trainer;

namespace Rerank.Training.Cli;

/// <summary>
/// Training progress on standard error: one line per report, rewritten in place on a terminal,
/// or one line every 10 seconds (and after every validation) when redirected to a log.
/// </summary>
internal static class TrainingProgressDisplay
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    /// <summary>A progress sink writing to <paramref name="error"/>.</summary>
    public static IProgress<TrainingProgress> Create(TextWriter error)
    {
        var interactive = error == Console.Error && !Console.IsErrorRedirected;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? last = null;
        return new Sink(p =>
        {
            var line = Describe(p);
            if (interactive)
            {
                error.Write("\r" + line.PadRight(Math.Max(0, Console.WindowWidth - 1)));
                if (p.DevMetric is not null || p.Step == p.TotalSteps) error.WriteLine();
            }
            else if (p.DevMetric is not null || p.Step == p.TotalSteps || last is null || clock.Elapsed - last >= LogInterval)
            {
                last = clock.Elapsed;
                error.WriteLine(line);
            }
        });
    }

    /// <summary>"step 120/230 (52%) epoch 1 loss 0.4312 lr 1.2e-05 38.5 pairs/s ETA 04:12 [dev nDCG@10 0.7012]".</summary>
    internal static string Describe(TrainingProgress p)
    {
        var inv = CultureInfo.InvariantCulture;
        var percent = p.TotalSteps > 0 ? 100.0 * p.Step / p.TotalSteps : 0;
        var bar = new string('#', (int)(percent / 5)).PadRight(20, '.');
        var text = string.Create(inv, $"[{bar}] step {p.Step}/{p.TotalSteps} ({percent:F0}%) epoch {p.Epoch + 1} loss {p.Loss:F4} lr {p.LearningRate:0.0e+00} {p.PairsPerSecond:F1} pairs/s ETA {p.EstimatedRemaining:hh\\:mm\\:ss}");
        if (p.DevMetric is { } dev) text += string.Create(inv, $" dev nDCG@10 {dev:F4}");
        return text;
    }

    private sealed class Sink(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
