namespace Rerank.Lucene.Evaluation;

/// <summary>
/// Fisher's paired randomization (permutation) test on per-query scores, the significance test
/// Smucker, Allan and Carterette recommend for IR ("A comparison of statistical significance tests
/// for information retrieval evaluation", CIKM 2007). Under the null hypothesis the two systems are
/// exchangeable on every query, so each per-query difference is equally likely to have either sign;
/// the two-sided p-value is the share of sign assignments whose mean difference is at least as far
/// from 0 as the observed one.
/// </summary>
/// <example>Differences [1, 2, 3]: observed mean 2; of the 8 sign assignments only (+,+,+) and
/// (-,-,-) reach |mean| ≥ 2, so p = 2/8 = 0.25.</example>
public static class RandomizationTest
{
    /// <summary>Up to this many queries every one of the 2^n sign assignments is enumerated (exact p).</summary>
    public const int ExactUpTo = 20;

    /// <summary>
    /// The smallest two-sided p-value <see cref="PValue"/> can return for <paramref name="queries"/> queries: with every
    /// difference non-zero and of one sign, only the observed sign assignment and its mirror image reach the observed
    /// |sum|, so p = 2 / 2^n exactly (n ≤ <see cref="ExactUpTo"/>); sampled, 1 / (samples + 1) at best. A test at level
    /// α can only reject with at least the n for which this is below α: 6 queries for α = 0.05 (2/64 = 0.031; 5 give 0.0625).
    /// </summary>
    /// <param name="queries">Number of paired queries (≥ 1).</param>
    /// <param name="samples">Random sign assignments drawn above <see cref="ExactUpTo"/> queries, as in <see cref="PValue"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="queries"/> is below 1.</exception>
    public static double SmallestPValue(int queries, int samples = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queries, 1);
        return queries <= ExactUpTo ? 2.0 / (1L << queries) : 1.0 / (samples + 1);
    }

    /// <summary>Two-sided p-value of the paired randomization test.</summary>
    /// <param name="a">Per-query scores of system A.</param>
    /// <param name="b">Per-query scores of system B, same queries in the same order.</param>
    /// <param name="samples">Random sign assignments drawn when there are more than <see cref="ExactUpTo"/> queries
    /// (the observed assignment is counted once more, so p is never 0).</param>
    /// <param name="seed">Seed of those draws.</param>
    /// <returns>p in (0, 1]; 1 when every difference is 0.</returns>
    /// <exception cref="ArgumentException">The lists differ in length or are empty.</exception>
    public static double PValue(IReadOnlyList<double> a, IReadOnlyList<double> b, int samples = 100_000, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count || a.Count == 0) throw new ArgumentException("Both systems need scores for the same, non-empty list of queries.");
        var d = a.Zip(b, (x, y) => x - y).ToArray();
        var n = d.Length;
        var observed = Math.Abs(d.Sum());
        // Compare sums with a relative tolerance: sums of the same numbers in another order may differ in the last bit.
        var threshold = observed - 1e-12 * Math.Max(1, d.Sum(Math.Abs));
        if (n <= ExactUpTo)
        {
            long atLeast = 0;
            var total = 1L << n;
            for (long mask = 0; mask < total; mask++)
            {
                var sum = 0.0;
                for (var i = 0; i < n; i++) sum += (mask >> i & 1) == 1 ? -d[i] : d[i];
                if (Math.Abs(sum) >= threshold) atLeast++;
            }
            return (double)atLeast / total;
        }
        var rng = new Random(seed);
        long hits = 1;
        for (var s = 0; s < samples; s++)
        {
            var sum = 0.0;
            for (var i = 0; i < n; i++) sum += rng.Next(2) == 0 ? d[i] : -d[i];
            if (Math.Abs(sum) >= threshold) hits++;
        }
        return (double)hits / (samples + 1);
    }
}
