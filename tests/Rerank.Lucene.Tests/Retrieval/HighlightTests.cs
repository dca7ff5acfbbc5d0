using System.Text.Json;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Cli;

namespace Rerank.Lucene.Tests.Retrieval;

/// <summary><see cref="Bm25Searcher.Highlight"/> (Lucene's highlighter) with offsets checked against hand-counted positions.</summary>
public sealed class HighlightTests(Cli.SampleIndexFixture sample) : IClassFixture<Cli.SampleIndexFixture>
{
    [Fact]
    public void Highlight_ShortText_MarksEveryAnalysedMatchWithItsOffsets()
    {
        using var searcher = Bm25Searcher.Open(sample.Index);
        const string text = "Sourdough bread uses wild Yeast. Tea is steamed; breads differ.";

        var fragments = searcher.Highlight("yeast breads", text);

        var f = Assert.Single(fragments);
        // Hand-counted: "bread" 10-15, "Yeast" 26-31, "breads" 49-55 (stems match: bread/breads, yeast/Yeast).
        Assert.Equal([new HighlightSpan(10, 15), new HighlightSpan(26, 31), new HighlightSpan(49, 55)], f.Terms);
        Assert.Equal((0, text.Length), (f.Start, f.End));
        Assert.Equal("Sourdough <b>bread</b> uses wild <b>Yeast</b>. Tea is steamed; <b>breads</b> differ.", f.Marked);
        Assert.True(f.Score > 0);
    }

    [Fact]
    public void Highlight_LongText_BestPassagesFirst_OffsetsTileTheText()
    {
        using var searcher = Bm25Searcher.Open(sample.Index);
        var filler = string.Concat(Enumerable.Repeat("The weather was mild and the river was calm. ", 6));
        var text = filler + "Yeast bread rises. " + filler + "Some bread is flat. " + filler;

        var fragments = searcher.Highlight("yeast bread", text, new HighlightOptions { MaxFragments = 3, FragmentSize = 60, PreTag = "[", PostTag = "]" });

        // Hand-counted: the three occurrences; Lucene's fragmenter cuts about every 60 characters, so the two adjacent ones share a passage.
        var yeastAt = text.IndexOf("Yeast bread", StringComparison.Ordinal);
        var flatAt = text.IndexOf("Some bread", StringComparison.Ordinal);
        Assert.True(fragments.Count == 2, string.Join("\n", fragments));
        Assert.Equal([new HighlightSpan(yeastAt, yeastAt + 5), new HighlightSpan(yeastAt + 6, yeastAt + 11)], fragments[0].Terms);
        Assert.Equal([new HighlightSpan(flatAt + 5, flatAt + 10)], fragments[1].Terms);
        Assert.True(fragments[0].Score > fragments[1].Score);
        foreach (var f in fragments)
        {
            // The marked passage is the text between its offsets with the tags put around its terms.
            var rebuilt = text[f.Start..f.End];
            foreach (var t in f.Terms.Reverse()) rebuilt = rebuilt.Insert(t.End - f.Start, "]").Insert(t.Start - f.Start, "[");
            Assert.Equal(rebuilt, f.Marked);
            Assert.All(f.Terms, t => Assert.Contains(text[t.Start..t.End].ToLowerInvariant(), new[] { "yeast", "bread" }));
        }
    }

    [Fact]
    public void Highlight_TextWithHtml_IsEscapedInTheFragment_OffsetsCountTheRawText()
    {
        using var searcher = Bm25Searcher.Open(sample.Index);
        const string text = "Fish & <b>chips</b> \"bread\" isn't <i>yeast</i>";

        var f = Assert.Single(searcher.Highlight("bread yeast", text));
        var raw = Assert.Single(searcher.Highlight("bread yeast", text, new HighlightOptions { EscapeHtml = false }));

        // Hand-counted in the raw text: "bread" 21-26, "yeast" 37-42.
        Assert.Equal([new HighlightSpan(21, 26), new HighlightSpan(37, 42)], f.Terms);
        Assert.Equal((0, text.Length), (f.Start, f.End));
        Assert.Equal("Fish &amp; &lt;b&gt;chips&lt;/b&gt; &quot;<b>bread</b>&quot; isn&#39;t &lt;i&gt;<b>yeast</b>&lt;/i&gt;", f.Marked);
        Assert.Equal(f.Terms, raw.Terms);
        Assert.Equal("Fish & <b>chips</b> \"<b>bread</b>\" isn't <i><b>yeast</b></i>", raw.Marked);
    }

    [Fact]
    public void Highlight_NoQueryTermInText_IsEmpty_AndTextWithTheMarkerCharactersKeepsOffsets()
    {
        using var searcher = Bm25Searcher.Open(sample.Index);
        Assert.Empty(searcher.Highlight("yeast", "Green tea is steamed."));
        Assert.Empty(searcher.Highlight("the of", "the end of it"));
        var odd = "\uE000 bread \uE001";
        Assert.Equal([new HighlightSpan(2, 7)], Assert.Single(searcher.Highlight("bread", odd)).Terms);
    }

    [Fact]
    public async Task SearchHostJson_Highlights_CarryFragmentsAndOffsetsIntoTheHitsText()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--no-rerank", "--json", "--highlight", "--top", "3", "immune system light water");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        using var searcher = Bm25Searcher.Open(sample.Index);
        var hits = json.RootElement.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(3, hits.Count);
        Assert.Equal(["rank", "id", "score", "title", "snippet", "highlights", "title_highlights"], hits[0].EnumerateObject().Select(p => p.Name));
        foreach (var hit in hits)
        {
            var text = searcher.GetDocument(hit.GetProperty("id").GetString()!)!.Text;
            foreach (var h in hit.GetProperty("highlights").EnumerateArray())
            {
                var (start, end) = (h.GetProperty("start").GetInt32(), h.GetProperty("end").GetInt32());
                Assert.Equal(text[start..end], h.GetProperty("fragment").GetString()!.Replace("<b>", "").Replace("</b>", ""));
                foreach (var t in h.GetProperty("terms").EnumerateArray())
                {
                    var word = text[t[0].GetInt32()..t[1].GetInt32()].ToLowerInvariant();
                    Assert.True(new[] { "immun", "system", "light", "water" }.Any(word.StartsWith), word);
                }
            }
        }
        Assert.NotEmpty(hits[0].GetProperty("highlights").EnumerateArray());
    }
}
