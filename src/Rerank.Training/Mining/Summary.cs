using System.Globalization;

namespace Rerank.Training.Mining;

/// <summary>Count, minimum, mean and maximum of some values; all zero when there are none.</summary>
public sealed record Summary(int Count, double Min, double Mean, double Max)
{
    /// <summary>The summary of <paramref name="values"/>.</summary>
    public static Summary Of(IEnumerable<double> values)
    {
        var list = values.ToArray();
        return list.Length == 0 ? new Summary(0, 0, 0, 0) : new Summary(list.Length, list.Min(), list.Average(), list.Max());
    }

    /// <summary>E.g. <c>n=3 min 1.00 mean 2.00 max 3.00</c>.</summary>
    public override string ToString() => Count == 0
        ? "n=0"
        : string.Create(CultureInfo.InvariantCulture, $"n={Count} min {Min:F2} mean {Mean:F2} max {Max:F2}");
}
