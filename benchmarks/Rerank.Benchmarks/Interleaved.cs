using System.Diagnostics;

namespace Rerank.Benchmarks;

/// <summary>
/// Times contenders in rounds (A, B, C, then B, A, C, ...) in one process, so that load from other
/// jobs on the machine hits all of them alike; the order is shuffled (seeded) each round. Each
/// contender is warmed up (one untimed run) before the first round.
/// </summary>
internal static class Interleaved
{
    /// <param name="contenders">What to time.</param>
    /// <param name="rounds">Samples per contender.</param>
    /// <param name="minSampleSeconds">A sample repeats its contender's run until at least this long
    /// (estimated from the warm-up), so fast runs are not dominated by timer and scheduling noise.</param>
    public static InterleavedResult Run(IReadOnlyList<Contender> contenders, int rounds, double minSampleSeconds)
    {
        var repeats = new int[contenders.Count];
        for (var c = 0; c < contenders.Count; c++)
        {
            // The warm-up run is slower than steady state, so the repeat count it gives errs low.
            Stop.Check();
            var clock = Stopwatch.StartNew();
            contenders[c].Run();
            repeats[c] = Math.Max(1, (int)Math.Ceiling(minSampleSeconds / Math.Max(clock.Elapsed.TotalSeconds, 1e-6)));
        }

        var rates = contenders.Select(_ => new double[rounds]).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            // A fresh seeded order each round: no contender is always first, nor always right after the
            // same other one (whose worker threads may still be spinning when it returns).
            var order = Enumerable.Range(0, contenders.Count).ToArray();
            new Random(round).Shuffle(order);
            foreach (var c in order)
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < repeats[c]; i++)
                {
                    Stop.Check();
                    contenders[c].Run();
                }
                rates[c][round] = repeats[c] * contenders[c].WorkPerRun / clock.Elapsed.TotalSeconds;
            }
        }
        return new InterleavedResult(contenders.Select(c => c.Name).ToList(), rates);
    }
}
