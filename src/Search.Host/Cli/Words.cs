using System.Globalization;

namespace Search.Host.Cli;

/// <summary>Counts in words for CLI messages.</summary>
internal static class Words
{
    /// <summary>"1 document", "0 documents", "5,183 documents" (invariant culture, thousands separated).</summary>
    /// <param name="count">The number.</param>
    /// <param name="noun">The singular noun; the plural adds "s".</param>
    public static string Count(long count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count:N0} {noun}{(count == 1 ? "" : "s")}");
}
