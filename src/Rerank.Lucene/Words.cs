using System.Globalization;

namespace Rerank.Lucene;

/// <summary>Counts and articles in words for messages of both programs (search-host, rerank-train).</summary>
internal static class Words
{
    /// <summary>"1 document", "0 documents", "5,183 documents" (invariant culture, thousands separated).</summary>
    /// <param name="count">The number.</param>
    /// <param name="noun">The singular noun; the plural adds "s".</param>
    public static string Count(long count, string noun) => Count(count, noun, noun + "s");

    /// <summary>"1 dev query", "3 dev queries": <paramref name="singular"/> for one, else <paramref name="plural"/> (invariant culture, thousands separated).</summary>
    public static string Count(long count, string singular, string plural) =>
        string.Create(CultureInfo.InvariantCulture, $"{count:N0} {(count == 1 ? singular : plural)}");

    /// <summary>"an" before a word that starts with a vowel letter ("an electra model", "an xlm-roberta model"), else "a".</summary>
    /// <remarks>By letter, not sound: right for the model types messages name (bert, electra, xlm-roberta, modernbert).</remarks>
    public static string Article(string word) =>
        word.Length > 0 && "aeiouxAEIOUX".Contains(word[0]) ? "an" : "a";
}
