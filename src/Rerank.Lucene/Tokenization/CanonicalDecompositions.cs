using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Rerank.Lucene.Tokenization;

/// <summary>
/// Canonical decomposition (Unicode NFD) of single code points, without the operating
/// system's ICU: .NET's <see cref="string.Normalize(NormalizationForm)"/> leaves non-ASCII
/// text unchanged when <c>InvariantGlobalization</c> is on, as it is in this repository.
/// The table lives in <c>CanonicalDecompositions.Data.cs</c>; Hangul syllables are decomposed
/// arithmetically (Unicode standard, section 3.12). Canonical reordering of combining marks
/// is not done: the BERT normalizer drops non-spacing marks right after decomposing, so the
/// order of marks never reaches the output.
/// </summary>
internal static partial class CanonicalDecompositions
{
    private const int HangulFirst = 0xAC00, HangulCount = 11172;
    private const int LeadFirst = 0x1100, VowelFirst = 0x1161, TrailBase = 0x11A7;
    private const int VowelCount = 21, TrailCount = 28, VowelTrailCount = VowelCount * TrailCount;

    private static readonly FrozenDictionary<int, string> Table = Parse(Data);

    /// <summary>The longest decomposition in UTF-16 code units (4 code points; 16 leaves room).</summary>
    public const int MaxLength = 16;

    /// <summary>
    /// Writes the full canonical decomposition of <paramref name="rune"/> (itself when it has
    /// none) to <paramref name="destination"/>, at least <see cref="MaxLength"/> long, and
    /// returns the number of chars written.
    /// </summary>
    public static int Decompose(Rune rune, Span<char> destination)
    {
        var cp = rune.Value;
        var s = cp - HangulFirst;
        if (s is >= 0 and < HangulCount)
        {
            // e.g. U+D55C (한): s = 21868 -> lead 0x1100 + 21868 / 588 = U+1112,
            // vowel 0x1161 + 21868 % 588 / 28 = U+1161, trail 0x11A7 + 21868 % 28 = U+11AB.
            destination[0] = (char)(LeadFirst + s / VowelTrailCount);
            destination[1] = (char)(VowelFirst + s % VowelTrailCount / TrailCount);
            if (s % TrailCount == 0) return 2;
            destination[2] = (char)(TrailBase + s % TrailCount);
            return 3;
        }
        if (cp >= 0xC0 && Table.TryGetValue(cp, out var decomposed))
        {
            decomposed.CopyTo(destination);
            return decomposed.Length;
        }
        return rune.EncodeToUtf16(destination);
    }

    private static FrozenDictionary<int, string> Parse(string data)
    {
        var table = new Dictionary<int, string>();
        var builder = new StringBuilder();
        foreach (var entry in data.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = entry.IndexOf(':');
            var cp = int.Parse(entry.AsSpan(0, colon), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            builder.Clear();
            foreach (var part in entry[(colon + 1)..].Split(' '))
            {
                builder.Append(char.ConvertFromUtf32(int.Parse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }
            table[cp] = builder.ToString();
        }
        return table.ToFrozenDictionary();
    }
}
