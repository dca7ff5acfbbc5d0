using Lucene.Net.Search.Highlight;

namespace Rerank.Lucene.Retrieval;

/// <summary>Settings of <see cref="Bm25Searcher.Highlight"/>.</summary>
public sealed record HighlightOptions
{
    /// <summary>Fragments returned at most, best first. Default 2.</summary>
    public int MaxFragments { get; init; } = 2;

    /// <summary>Approximate fragment length in characters (Lucene's <see cref="SimpleSpanFragmenter"/>: it never splits a phrase match). Default 150.</summary>
    public int FragmentSize { get; init; } = 150;

    /// <summary>Put before each matching term in <see cref="HighlightFragment.Marked"/>. Default <c>&lt;b&gt;</c>.</summary>
    public string PreTag { get; init; } = "<b>";

    /// <summary>Put after each matching term in <see cref="HighlightFragment.Marked"/>. Default <c>&lt;/b&gt;</c>.</summary>
    public string PostTag { get; init; } = "</b>";

    /// <summary>Whether the text in <see cref="HighlightFragment.Marked"/> is HTML-escaped (<c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>,
    /// <c>"</c>, <c>'</c> as <c>&amp;amp;</c>, <c>&amp;lt;</c>, <c>&amp;gt;</c>, <c>&amp;quot;</c>, <c>&amp;#39;</c>), so that a
    /// document's own <c>&lt;b&gt;</c> or <c>&amp;</c> cannot be taken for a marker or inject HTML; the tags are put in as given.
    /// Default true. The offsets always count the raw, unescaped text.</summary>
    public bool EscapeHtml { get; init; } = true;
}

/// <summary>One passage of a document's text around query terms.</summary>
/// <param name="Marked">The passage with every matching term between <see cref="HighlightOptions.PreTag"/> and <see cref="HighlightOptions.PostTag"/>;
/// the text itself HTML-escaped (<c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>, <c>"</c>, <c>'</c>) unless <see cref="HighlightOptions.EscapeHtml"/> is false,
/// so it is longer than <c>End - Start</c> when it has such characters.</param>
/// <param name="Start">Where the passage starts in the raw (unescaped) document text (UTF-16 code units, 0-based).</param>
/// <param name="End">Where it ends (exclusive): the passage is <c>text[Start..End]</c>.</param>
/// <param name="Score">Lucene's fragment score (the sum of the query weights of the distinct terms in it); higher is better.</param>
/// <param name="Terms">The matching terms' [start, end) offsets in the document text, in text order.</param>
public sealed record HighlightFragment(string Marked, int Start, int End, float Score, IReadOnlyList<HighlightSpan> Terms);

/// <summary>A matching term in a document's text: <c>text[Start..End]</c> (UTF-16 code units, end exclusive).</summary>
public sealed record HighlightSpan(int Start, int End);

/// <summary>
/// Lucene's <see cref="IFormatter"/> that wraps scoring tokens in two private-use characters, so that the marked fragments can be
/// mapped back to offsets in the text: Lucene's fragments tile the whole (marked) text in order (<see cref="TextFragment.FragNum"/>).
/// </summary>
internal sealed class RecordingFormatter : IFormatter
{
    private const char Open = '\uE000';
    private const char Close = '\uE001';

    public string HighlightTerm(string originalText, TokenGroup tokenGroup) =>
        tokenGroup.TotalScore > 0 ? Open + originalText + Close : originalText;

    /// <summary>The text with the two marker characters, if it has any, replaced by U+FFFD (same length, so offsets hold).</summary>
    public static string Clean(string text) => text.Replace(Open, '\uFFFD').Replace(Close, '\uFFFD');

    /// <summary>Appends <paramref name="c"/> HTML-escaped: the five characters that can end text or an attribute value as entities.</summary>
    private static void AppendEscaped(System.Text.StringBuilder output, char c)
    {
        switch (c)
        {
            case '&': output.Append("&amp;"); break;
            case '<': output.Append("&lt;"); break;
            case '>': output.Append("&gt;"); break;
            case '"': output.Append("&quot;"); break;
            case '\'': output.Append("&#39;"); break;
            default: output.Append(c); break;
        }
    }

    /// <summary>The best scoring fragments of <paramref name="all"/> (every fragment of one text), with offsets and the caller's tags.</summary>
    public static IReadOnlyList<HighlightFragment> Fragments(TextFragment[] all, HighlightOptions options)
    {
        var ordered = all.Where(f => f is not null).OrderBy(f => f.FragNum).ToList();
        var placed = new List<HighlightFragment>(ordered.Count);
        var offset = 0;
        foreach (var fragment in ordered)
        {
            var marked = fragment.ToString();
            var plainLength = 0;
            var terms = new List<HighlightSpan>();
            var output = new System.Text.StringBuilder(marked.Length);
            var termStart = -1;
            foreach (var c in marked)
            {
                if (c == Open)
                {
                    termStart = offset + plainLength;
                    output.Append(options.PreTag);
                }
                else if (c == Close)
                {
                    terms.Add(new HighlightSpan(termStart, offset + plainLength));
                    output.Append(options.PostTag);
                }
                else
                {
                    plainLength++;
                    if (options.EscapeHtml) AppendEscaped(output, c);
                    else output.Append(c);
                }
            }
            placed.Add(new HighlightFragment(output.ToString(), offset, offset + plainLength, fragment.Score, terms));
            offset += plainLength;
        }
        return placed
            .Where(f => f.Score > 0 && f.Terms.Count > 0)
            .OrderByDescending(f => f.Score).ThenBy(f => f.Start)
            .Take(options.MaxFragments)
            .ToList();
    }
}
