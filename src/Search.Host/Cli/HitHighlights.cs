using System.Text.Json.Serialization;
using Rerank.Lucene.Retrieval;

namespace Search.Host.Cli;

/// <summary>
/// One highlighted passage as <c>search --highlight --json</c> and serve's <c>/search</c> with <c>highlight</c> write it:
/// the fragment (terms in &lt;b&gt;&lt;/b&gt;, the text HTML-escaped), its [start, end) UTF-16 offsets into the raw text,
/// Lucene's fragment score, and the marked terms' [start, end) offsets.
/// </summary>
internal sealed record HighlightJson(
    [property: JsonPropertyName("fragment")] string Fragment,
    [property: JsonPropertyName("start")] int Start,
    [property: JsonPropertyName("end")] int End,
    [property: JsonPropertyName("score")] float Score,
    [property: JsonPropertyName("terms")] IReadOnlyList<int[]> Terms);

/// <summary>The one place a hit's highlights are computed for JSON, shared by <c>search --json</c> and serve's <c>/search</c>.</summary>
internal static class HitHighlights
{
    /// <summary>
    /// A hit's text passages and title passages (offsets into the title): a hit that matches only in its title has the latter;
    /// an empty title has none.
    /// </summary>
    /// <param name="highlight">A text to its best fragments for the query (Lucene's highlighter, <see cref="Bm25Searcher.Highlight"/>).</param>
    /// <param name="title">The hit's title.</param>
    /// <param name="text">The hit's text.</param>
    public static (List<HighlightJson> Text, List<HighlightJson> Title) Of(Func<string, IReadOnlyList<HighlightFragment>> highlight, string title, string text) =>
        (Fragments(highlight(text)), title.Length == 0 ? [] : Fragments(highlight(title)));

    private static List<HighlightJson> Fragments(IReadOnlyList<HighlightFragment> fragments) =>
        fragments.Select(f => new HighlightJson(f.Marked, f.Start, f.End, f.Score, f.Terms.Select(t => new[] { t.Start, t.End }).ToList())).ToList();
}
