using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Rerank.Lucene.Tokenization;

/// <summary>
/// The Unicode data of Hugging Face's Rust tokenizers, so that normalization and splitting do
/// not depend on the .NET runtime: canonical decompositions (NFD), lowercase mappings, and the
/// nonspacing-mark, "other" (Cc, Cf, Co) and punctuation classes. The Rust crates use older
/// Unicode versions than .NET 10 for the classes (e.g. U+2E4F is punctuation for .NET, not for
/// Hugging Face) and .NET's <see cref="string.Normalize(NormalizationForm)"/> does nothing beyond
/// ASCII under <c>InvariantGlobalization</c>, so the data are read out of the Rust library by
/// tests/fixtures/tokenizer/generate-tables.mjs into <c>UnicodeTables.Data.cs</c>. Hangul
/// syllables are decomposed arithmetically (Unicode standard, section 3.12) instead of listed.
/// </summary>
internal static partial class UnicodeTables
{
    /// <summary>Room for the longest decomposition or lowercase mapping, in UTF-16 code units.</summary>
    public const int MaxMappingLength = 16;

    private const int HangulFirst = 0xAC00, HangulCount = 11172;
    private const int LeadFirst = 0x1100, VowelFirst = 0x1161, TrailBase = 0x11A7;
    private const int VowelTrailCount = 21 * 28, TrailCount = 28;

    private static readonly FrozenDictionary<int, string> Decompositions = ParseMappings(DecompositionData);
    private static readonly FrozenDictionary<int, string> Lowercases = ParseMappings(LowercaseData);
    private static readonly int[] NonSpacingMarks = ParseRanges(NonSpacingMarkData);
    private static readonly int[] Others = ParseRanges(OtherData);
    private static readonly int[] Punctuations = ParseRanges(PunctuationData);

    /// <summary>
    /// Writes the full canonical decomposition of <paramref name="rune"/> (itself when it has none)
    /// to <paramref name="destination"/> (at least <see cref="MaxMappingLength"/> long); returns the length.
    /// </summary>
    public static int Decompose(Rune rune, Span<char> destination)
    {
        var s = rune.Value - HangulFirst;
        if (s is >= 0 and < HangulCount)
        {
            // e.g. U+D55C: s = 21868 -> lead 0x1100 + 21868 / 588 = U+1112,
            // vowel 0x1161 + 21868 % 588 / 28 = U+1161, trail 0x11A7 + 21868 % 28 = U+11AB.
            destination[0] = (char)(LeadFirst + s / VowelTrailCount);
            destination[1] = (char)(VowelFirst + s % VowelTrailCount / TrailCount);
            if (s % TrailCount == 0) return 2;
            destination[2] = (char)(TrailBase + s % TrailCount);
            return 3;
        }
        return Map(Decompositions, rune, destination);
    }

    /// <summary>Writes the lowercase form of <paramref name="rune"/> (one or more code points); returns the length.</summary>
    public static int ToLower(Rune rune, Span<char> destination) => Map(Lowercases, rune, destination);

    /// <summary>Whether Hugging Face's strip-accents step removes <paramref name="cp"/> (category Mn in its tables).</summary>
    public static bool IsNonSpacingMark(int cp) => cp >= 0x300 && InRanges(NonSpacingMarks, cp);

    /// <summary>Whether clean_text drops <paramref name="cp"/> as a control/format/private-use character.</summary>
    public static bool IsOther(int cp) => cp < 0x80 ? cp is < 0x20 and not ('\t' or '\n' or '\r') or 0x7F : InRanges(Others, cp);

    /// <summary>Whether a non-ASCII <paramref name="cp"/> is punctuation (P*) in Hugging Face's tables.</summary>
    public static bool IsNonAsciiPunctuation(int cp) => cp >= 0x80 && InRanges(Punctuations, cp);

    private static int Map(FrozenDictionary<int, string> table, Rune rune, Span<char> destination)
    {
        if (table.TryGetValue(rune.Value, out var mapped))
        {
            mapped.CopyTo(destination);
            return mapped.Length;
        }
        return rune.EncodeToUtf16(destination);
    }

    /// <summary><paramref name="ranges"/> holds first0, last0, first1, last1, ... sorted.</summary>
    private static bool InRanges(int[] ranges, int cp)
    {
        int lo = 0, hi = ranges.Length / 2 - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (cp < ranges[2 * mid]) hi = mid - 1;
            else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    private static FrozenDictionary<int, string> ParseMappings(string data)
    {
        var table = new Dictionary<int, string>();
        var builder = new StringBuilder();
        foreach (var entry in data.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = entry.IndexOf(':');
            builder.Clear();
            foreach (var part in entry[(colon + 1)..].Split(' ')) builder.Append(char.ConvertFromUtf32(Hex(part)));
            table[Hex(entry[..colon])] = builder.ToString();
        }
        return table.ToFrozenDictionary();
    }

    private static int[] ParseRanges(string data)
    {
        var result = new List<int>();
        foreach (var entry in data.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = entry.IndexOf('-');
            result.Add(Hex(dash < 0 ? entry : entry[..dash]));
            result.Add(Hex(dash < 0 ? entry : entry[(dash + 1)..]));
        }
        return result.ToArray();
    }

    private static int Hex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
