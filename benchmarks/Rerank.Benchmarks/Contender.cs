namespace Rerank.Benchmarks;

/// <summary>One thing to time: <see cref="Run"/> does <see cref="WorkPerRun"/> units of work (pairs, GFLOP).</summary>
internal sealed record Contender(string Name, double WorkPerRun, Action Run);
