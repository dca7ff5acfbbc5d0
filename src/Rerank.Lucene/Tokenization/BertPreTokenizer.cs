using System.Text;

namespace Rerank.Lucene.Tokenization;

/// <summary>
/// Hugging Face's <c>BertPreTokenizer</c>: splits normalized text on whitespace (removed) and
/// then isolates every punctuation character as a word of its own. Punctuation is Rust's
/// <c>char::is_ascii_punctuation</c> (all of <c>!"#$%&amp;'()*+,-./:;&lt;=&gt;?@[\]^_`{|}~</c>,
/// so <c>=</c>, <c>+</c>, <c>&lt;</c>, <c>|</c> count) or a Unicode P* category. Other symbols
/// (<c>± × ≥ ° µ</c>, emoji: categories S*) are not punctuation: <c>"p≥0.05"</c> gives the words
/// <c>p≥0</c>, <c>.</c>, <c>05</c>, and WordPiece then makes <c>p ##≥ ##0</c> of the first.
/// </summary>
internal static class BertPreTokenizer
{
    /// <summary>Calls <paramref name="onWord"/> with each word of <paramref name="text"/>, in order.</summary>
    public static void Split<TState>(ReadOnlySpan<char> text, TState state, WordHandler<TState> onWord)
    {
        var start = -1; // start of the current word, -1 when between words
        var i = 0;
        while (i < text.Length)
        {
            Rune.DecodeFromUtf16(text[i..], out var rune, out var consumed);
            if (Rune.IsWhiteSpace(rune))
            {
                if (start >= 0) onWord(text[start..i], state);
                start = -1;
            }
            else if (IsPunctuation(rune))
            {
                if (start >= 0) onWord(text[start..i], state);
                onWord(text.Slice(i, consumed), state);
                start = -1;
            }
            else if (start < 0)
            {
                start = i;
            }
            i += consumed;
        }
        if (start >= 0) onWord(text[start..], state);
    }

    /// <summary>ASCII punctuation (33-47, 58-64, 91-96, 123-126) or a P* category in Hugging Face's tables (<see cref="UnicodeTables"/>).</summary>
    public static bool IsPunctuation(Rune rune)
    {
        var cp = rune.Value;
        if (cp < 0x80) return cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126);
        return UnicodeTables.IsNonAsciiPunctuation(cp);
    }
}

/// <summary>Receives one word of a pre-tokenized text.</summary>
internal delegate void WordHandler<in TState>(ReadOnlySpan<char> word, TState state);
