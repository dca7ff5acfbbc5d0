using System.Text;

namespace Rerank.Lucene.Tokenization;

/// <summary>
/// Greedy longest-match-first WordPiece, as Hugging Face's Rust <c>WordPiece</c> model: the
/// longest vocabulary entry that starts the word is taken, then the longest <c>##</c>-prefixed
/// entry that continues it, and so on. A word that cannot be covered this way, or that has
/// more than <see cref="MaxInputCharsPerWord"/> code points, becomes a single <c>[UNK]</c>.
/// Example with a vocabulary holding <c>un</c>, <c>##aff</c>, <c>##able</c>: "unaffable" gives
/// <c>un ##aff ##able</c>.
/// </summary>
internal sealed class WordPiece(BertVocabulary vocabulary)
{
    /// <summary>Hugging Face's <c>max_input_chars_per_word</c>: counted in code points, not UTF-16 units.</summary>
    public const int MaxInputCharsPerWord = 100;

    private const string ContinuationPrefix = "##";

    /// <summary>Appends the ids of one pre-tokenized word to <paramref name="ids"/>.</summary>
    public void Tokenize(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.IsEmpty) return;
        if (word.Length > MaxInputCharsPerWord && CountRunes(word) > MaxInputCharsPerWord)
        {
            ids.Add(vocabulary.UnkId);
            return;
        }

        // buffer = "##" + word: the candidate "##" + word[start..end] is buffer[start..end + 2]
        // once buffer[start] and buffer[start + 1] are set to '#' (those two chars belong to the
        // part of the word already consumed, so overwriting them is harmless).
        Span<char> buffer = word.Length <= 254 ? stackalloc char[word.Length + 2] : new char[word.Length + 2];
        word.CopyTo(buffer[2..]);
        var first = ids.Count;
        var start = 0;
        while (start < word.Length)
        {
            var end = word.Length;
            var found = -1;
            while (end > start)
            {
                scoped ReadOnlySpan<char> candidate;
                if (start == 0)
                {
                    candidate = word[..end];
                }
                else
                {
                    buffer[start] = ContinuationPrefix[0];
                    buffer[start + 1] = ContinuationPrefix[1];
                    candidate = buffer[start..(end + 2)];
                }
                if (vocabulary.TryGetId(candidate, out found)) break;
                found = -1;
                end--;
                if (end > start && char.IsLowSurrogate(word[end]) && char.IsHighSurrogate(word[end - 1])) end--;
            }
            if (found < 0)
            {
                ids.RemoveRange(first, ids.Count - first);
                ids.Add(vocabulary.UnkId);
                return;
            }
            ids.Add(found);
            start = end;
        }
    }

    private static int CountRunes(ReadOnlySpan<char> word)
    {
        var count = 0;
        foreach (var _ in word.EnumerateRunes()) count++;
        return count;
    }
}
