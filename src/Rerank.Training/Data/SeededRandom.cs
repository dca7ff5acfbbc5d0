using System.Text;

namespace Rerank.Training.Data;

/// <summary>
/// A small, fully specified random generator (SplitMix64), so that the same seed gives the same
/// splits, negatives and pseudo-queries on every machine and every .NET version
/// (<see cref="Random"/>'s sequence is an implementation detail). Streams are derived per key
/// (e.g. per query id) with <see cref="For"/>, so adding a query never changes another query's draws.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _state;

    /// <summary>A generator starting from <paramref name="state"/>.</summary>
    public SeededRandom(ulong state) => _state = state;

    /// <summary>
    /// The generator for one purpose and one key, e.g. <c>For(42, "negatives", "q17")</c>: the
    /// 64-bit FNV-1a hash of <c>purpose \0 key</c> (UTF-8), xor-ed with the seed passed through one
    /// SplitMix64 step. Different purposes give unrelated streams for the same key.
    /// </summary>
    public static SeededRandom For(int seed, string purpose, string key)
    {
        const ulong FnvOffset = 14695981039346656037UL, FnvPrime = 1099511628211UL;
        var hash = FnvOffset;
        foreach (var b in Encoding.UTF8.GetBytes(purpose + "\0" + key))
        {
            hash ^= b;
            hash *= FnvPrime;
        }
        return new SeededRandom(hash ^ new SeededRandom((ulong)(uint)seed).NextUInt64());
    }

    /// <summary>The next 64 random bits (SplitMix64, Steele, Lea and Flood 2014).</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        var z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// A uniform integer in [0, <paramref name="bound"/>). Draws below <c>2^64 mod bound</c> are
    /// rejected so every value is equally likely: with bound 3, 2^64 mod 3 = 1, so the single
    /// draw 0 is redrawn and the remaining 2^64 - 1 values split evenly three ways.
    /// </summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        var b = (ulong)bound;
        var threshold = (0UL - b) % b;
        while (true)
        {
            var r = NextUInt64();
            if (r >= threshold) return (int)(r % b);
        }
    }

    /// <summary>
    /// <paramref name="count"/> distinct indices from [0, <paramref name="n"/>), uniformly, in the
    /// order drawn (a partial Fisher-Yates shuffle); all of them, shuffled, when count &gt;= n.
    /// </summary>
    public int[] SampleIndices(int n, int count)
    {
        var idx = Enumerable.Range(0, n).ToArray();
        var take = Math.Min(count, n);
        for (var i = 0; i < take; i++)
        {
            var j = i + NextInt(n - i);
            (idx[i], idx[j]) = (idx[j], idx[i]);
        }
        return idx[..take];
    }
}
