namespace Rerank.Benchmarks;

/// <summary>
/// The run's Ctrl-C / SIGTERM: <see cref="Program"/> cancels <see cref="Token"/> on the first signal, and the benchmark
/// loops ask <see cref="Check"/> between timed runs (each contender run of <see cref="Interleaved"/>, each report line and
/// progress message), so a signal ends the run within one run of the slowest contender; the process then exits 130.
/// </summary>
internal static class Stop
{
    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public static CancellationToken Token { get; set; }

    /// <summary>Throws <see cref="OperationCanceledException"/> once a signal has arrived.</summary>
    public static void Check() => Token.ThrowIfCancellationRequested();
}
