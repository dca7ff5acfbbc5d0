namespace Rerank.Benchmarks;

/// <summary>Rates (work per second) of each contender, one sample per round, all rounds interleaved.</summary>
internal sealed class InterleavedResult(IReadOnlyList<string> names, double[][] rates)
{
    /// <summary>Contender names in the order given.</summary>
    public IReadOnlyList<string> Names { get; } = names;

    /// <summary>rates[contender][round].</summary>
    public double[][] Rates { get; } = rates;

    /// <summary>Median rate of <paramref name="name"/> over the rounds.</summary>
    public double Median(string name) => Stats.Median(Rates[Index(name)]);

    /// <summary>Median over rounds of rate(<paramref name="name"/>) / rate(<paramref name="reference"/>) in the same round.</summary>
    public double MedianRatio(string name, string reference)
    {
        var a = Rates[Index(name)];
        var b = Rates[Index(reference)];
        return Stats.Median(a.Zip(b, (x, y) => x / y).ToArray());
    }

    /// <summary>The best (highest) rate over the rounds: the sample least disturbed by other jobs.</summary>
    public double Best(string name) => Rates[Index(name)].Max();

    /// <summary>(max - min) / median of the per-round rates: the spread the shared machine caused.</summary>
    public double Spread(string name)
    {
        var r = Rates[Index(name)];
        return (r.Max() - r.Min()) / Stats.Median(r);
    }

    private int Index(string name)
    {
        for (var i = 0; i < Names.Count; i++)
            if (Names[i] == name) return i;
        throw new ArgumentException($"No contender '{name}'.", nameof(name));
    }
}
