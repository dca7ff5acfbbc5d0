using System.Buffers;
using System.Text;

namespace Rerank.Lucene.Tokenization;

/// <summary>
/// Hugging Face's <c>BertNormalizer</c> (Rust <c>tokenizers</c>) with <c>clean_text</c> and
/// <c>handle_chinese_chars</c> on and <c>strip_accents</c> following <c>lowercase</c>, applied
/// code point by code point in its order:
/// <list type="number">
/// <item>clean text: drop U+0000, U+FFFD and every Cc, Cf and Co character except tab, LF and
/// CR; map tab, LF, CR and every other White_Space character to a space (so U+000B, U+000C
/// and U+0085, being Cc, are dropped, not spaced);</item>
/// <item>put a space on both sides of each CJK ideograph (<see cref="IsChineseChar"/>);</item>
/// <item>when lowercasing: NFD-decompose and drop non-spacing marks (Mn), then lowercase.</item>
/// </list>
/// A lone UTF-16 surrogate is dropped like U+FFFD (what it becomes on its way to Rust).
/// </summary>
internal sealed class BertNormalizer(bool lowercase, bool stripAccents, bool handleChineseChars)
{
    /// <summary>An uncased normalizer: lowercase, accents stripped, CJK spaced.</summary>
    public BertNormalizer(bool lowercase) : this(lowercase, lowercase, true)
    {
    }

    /// <summary>Whether text is lowercased (<c>do_lower_case</c>).</summary>
    public bool Lowercase { get; } = lowercase;

    /// <summary>Whether accents are stripped (<c>strip_accents</c>, resolved).</summary>
    public bool StripAccents { get; } = stripAccents;

    /// <summary>Whether CJK ideographs are spaced out (<c>tokenize_chinese_chars</c>).</summary>
    public bool HandleChineseChars { get; } = handleChineseChars;

    /// <summary>Normalizes one piece of text (special tokens already split off).</summary>
    public string Normalize(ReadOnlySpan<char> text)
    {
        var output = new StringBuilder(text.Length + 8);
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c < 0x80)
            {
                i++;
                if (c is '\t' or '\n' or '\r' or ' ') output.Append(' ');
                else if (c < 0x20 || c == 0x7F) continue;
                else output.Append(Lowercase && c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
                continue;
            }
            if (Rune.DecodeFromUtf16(text[i..], out var rune, out var consumed) != OperationStatus.Done)
            {
                rune = Rune.ReplacementChar;
            }
            i += consumed;
            AppendNormalized(rune, output);
        }
        return output.ToString();
    }

    /// <summary>
    /// The ideographs Hugging Face's Rust normalizer spaces out. Note U+2B920, not U+2B820, as
    /// the start of the fifth block: the Rust crate's table (unlike Python's slow tokenizer)
    /// leaves U+2B820..U+2B91F alone; the reference fixture confirms it.
    /// </summary>
    public static bool IsChineseChar(int cp) => cp is
        (>= 0x4E00 and <= 0x9FFF) or
        (>= 0x3400 and <= 0x4DBF) or
        (>= 0x20000 and <= 0x2A6DF) or
        (>= 0x2A700 and <= 0x2B73F) or
        (>= 0x2B740 and <= 0x2B81F) or
        (>= 0x2B920 and <= 0x2CEAF) or
        (>= 0xF900 and <= 0xFAFF) or
        (>= 0x2F800 and <= 0x2FA1F);

    /// <summary>Dropped by clean_text: Cc, Cf and Co in Hugging Face's tables, except tab, LF and CR.</summary>
    public static bool IsControl(Rune rune) => UnicodeTables.IsOther(rune.Value);

    private void AppendNormalized(Rune rune, StringBuilder output)
    {
        if (rune.Value is 0 or 0xFFFD || IsControl(rune)) return;
        if (Rune.IsWhiteSpace(rune))
        {
            output.Append(' ');
            return;
        }
        var chinese = HandleChineseChars && IsChineseChar(rune.Value);
        if (chinese) output.Append(' ');
        if (!Lowercase && !StripAccents)
        {
            AppendRune(rune, output);
        }
        else if (!StripAccents)
        {
            Span<char> lowered = stackalloc char[UnicodeTables.MaxMappingLength];
            output.Append(lowered[..UnicodeTables.ToLower(rune, lowered)]);
        }
        else
        {
            Span<char> decomposed = stackalloc char[UnicodeTables.MaxMappingLength];
            Span<char> lowered = stackalloc char[UnicodeTables.MaxMappingLength];
            var length = UnicodeTables.Decompose(rune, decomposed);
            for (var k = 0; k < length;)
            {
                Rune.DecodeFromUtf16(decomposed[k..length], out var part, out var used);
                k += used;
                if (UnicodeTables.IsNonSpacingMark(part.Value)) continue;
                if (Lowercase) output.Append(lowered[..UnicodeTables.ToLower(part, lowered)]);
                else AppendRune(part, output);
            }
        }
        if (chinese) output.Append(' ');
    }

    private static void AppendRune(Rune rune, StringBuilder output)
    {
        Span<char> utf16 = stackalloc char[2];
        output.Append(utf16[..rune.EncodeToUtf16(utf16)]);
    }
}
