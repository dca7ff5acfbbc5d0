using Rerank.Training.Data;

namespace Rerank.Training.Mining;

/// <summary>Picks the negatives of one query from its filtered candidates.</summary>
internal static class NegativeSampler
{
    /// <summary>
    /// <see cref="SamplingStrategy.Top"/>: the first <paramref name="count"/> of <paramref name="pool"/>.
    /// <see cref="SamplingStrategy.Random"/>: <paramref name="count"/> distinct candidates drawn
    /// uniformly with <paramref name="rng"/>, returned in rank order. Either way, all of the pool
    /// when it holds fewer than <paramref name="count"/> (the query "runs short").
    /// </summary>
    public static IReadOnlyList<Candidate> Sample(
        IReadOnlyList<Candidate> pool, int count, SamplingStrategy strategy, SeededRandom rng) => strategy switch
    {
        SamplingStrategy.Top => pool.Take(count).ToArray(),
        SamplingStrategy.Random => rng.SampleIndices(pool.Count, count).Order().Select(i => pool[i]).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "unknown sampling strategy"),
    };
}
