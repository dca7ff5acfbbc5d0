using System.Globalization;
using Rerank.Lucene.Reranking;

namespace Rerank.Lucene.Embedding;

/// <summary>
/// Splits a document into the passages the bi-encoder embeds so that every part of its title and text lands, uncut, in some
/// embedded passage (index --embed-passages max). First the word windows of <see cref="PassageOptions.Split"/>; then each
/// passage whose tokens (title + window, <c>[CLS]</c> and <c>[SEP]</c> included) exceed the encoder's max length is replaced
/// by the longest runs of its words that fit, each starting half-way through the one before (so a sentence of up to half such a
/// run is still embedded whole), and a single word too long on its own (text without spaces, e.g. Japanese) by consecutive
/// pieces of its characters, each the longest that fits (never cut inside a surrogate pair or combining sequence).
/// The title's share is capped at <see cref="TitleShare"/> of the tokens: a longer title is prefixed cut to its leading
/// words within that share, and the whole title is also embedded as the start of the body, so none of it is lost either.
/// </summary>
/// <remarks>
/// Where every window fits (the usual case: 128 words of English are about 190 tokens) the passages are exactly
/// <see cref="PassageOptions.Split"/>'s. Builds and updates both split this way, so an update adds passages as a build would.
/// Indexes built before this fitting keep their stored vectors (a window that was over the limit stays cut there until the
/// document is replaced or the index rebuilt); the manifest's words and stride mean the same in both.
/// </remarks>
internal static class PassageFit
{
    /// <summary>The most of the max length a title prefixed to every passage may take: half.</summary>
    internal const double TitleShare = 0.5;

    /// <summary>
    /// The passages of one document for <paramref name="passages"/>: <see cref="PassageOptions.Split"/>'s for first (one text,
    /// cut by the encoder), else windows that each fit <paramref name="maxTokens"/>.
    /// </summary>
    /// <param name="passages">First, or max with a window and stride.</param>
    /// <param name="title">The document's title (may be null or empty).</param>
    /// <param name="text">The document's body (may be null or empty).</param>
    /// <param name="tokens">Tokens of a text as the encoder reads it, special tokens included, before truncation.</param>
    /// <param name="maxTokens">The encoder's max length in tokens (at least 3).</param>
    /// <param name="cut">Passages that still exceed <paramref name="maxTokens"/> (a single character too long with the title; 0 in practice).</param>
    internal static List<string> Split(PassageOptions passages, string? title, string? text, Func<string, int> tokens, int maxTokens, out int cut)
    {
        cut = 0;
        if (passages.Mode == PassageMode.First) return [.. passages.Split(title, text)];
        (var fitted, cut) = Fitted(passages, title, text, tokens, maxTokens);
        return fitted;
    }

    private static (List<string> Passages, int Cut) Fitted(PassageOptions passages, string? title, string? text, Func<string, int> tokens, int maxTokens)
    {
        var cutCount = 0;
        title = title?.Trim() ?? "";
        var prefix = title;
        var body = text ?? "";
        if (title.Length > 0 && tokens(title) - 2 > (int)(maxTokens * TitleShare))
        {
            // Too long a title to repeat in every passage: a capped prefix, and the whole title embedded as body text.
            var titleWords = title.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            int keep = 0, over = titleWords.Length; // the longest run of leading words within the share: binary search (the full title is over)
            while (over - keep > 1)
            {
                var mid = keep + (over - keep) / 2;
                if (tokens(string.Join(' ', titleWords, 0, mid)) - 2 <= (int)(maxTokens * TitleShare)) keep = mid; else over = mid;
            }
            prefix = string.Join(' ', titleWords, 0, keep);
            body = title + " " + body;
        }
        var result = new List<string>();
        foreach (var window in passages.Split(null, body))
        {
            var words = window.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || Fits(words, 0, words.Length)) { result.Add(Passage(words, 0, words.Length)); continue; }
            // Too many tokens: the longest runs of words that fit, each starting half-way through the last (so any run of
            // words up to half a fitting run is whole in one of them), a word too long on its own cut into pieces.
            for (var start = 0; ;)
            {
                if (!Fits(words, start, start + 1))
                {
                    FitWord(words[start]);
                    if (++start == words.Length) break;
                    continue;
                }
                int fits = start + 1, over = words.Length + 1; // Fits(start, fits) holds; Fits(start, over) does not (or is past the end)
                while (over - fits > 1)
                {
                    var mid = fits + (over - fits) / 2;
                    if (mid <= words.Length && Fits(words, start, mid)) fits = mid; else over = mid;
                }
                result.Add(Passage(words, start, fits));
                if (fits == words.Length) break;
                start = Math.Max(start + 1, start + (fits - start) / 2);
            }
        }
        return (result, cutCount);

        string Passage(string[] words, int start, int end) => DocumentText.Join(prefix, string.Join(' ', words, start, end - start));

        bool Fits(string[] words, int start, int end) => tokens(Passage(words, start, end)) <= maxTokens;

        void FitWord(string word)
        {
            // Text elements (never inside a surrogate pair or combining sequence); the longest prefix that fits, then the rest.
            var elements = StringInfo.ParseCombiningCharacters(word);
            for (var first = 0; first < elements.Length;)
            {
                int fits = first, over = elements.Length + 1;
                while (over - fits > 1)
                {
                    var mid = fits + (over - fits) / 2;
                    if (tokens(DocumentText.Join(prefix, Piece(first, mid))) <= maxTokens) fits = mid; else over = mid;
                }
                if (fits == first) { fits = first + 1; cutCount++; } // one character too many tokens with the title: embedded cut
                result.Add(DocumentText.Join(prefix, Piece(first, fits)));
                first = fits;
            }

            string Piece(int from, int to) => word[elements[from]..(to < elements.Length ? elements[to] : word.Length)];
        }
    }

    /// <summary><see cref="Split(PassageOptions, string?, string?, Func{string, int}, int, out int)"/> with <paramref name="encoder"/>'s tokenizer and max length.</summary>
    internal static List<string> Split(PassageOptions passages, string? title, string? text, BiEncoder encoder, out int cut) =>
        Split(passages, title, text, t => encoder.Tokenize(t).FullLength, encoder.MaxLength, out cut);
}
