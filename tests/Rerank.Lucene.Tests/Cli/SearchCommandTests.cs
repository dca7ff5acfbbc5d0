using System.Text.Json;
using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Cli;

/// <summary><c>search-host search</c> one-shot queries against the sample index.</summary>
public sealed class SearchCommandTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private const string VaccineQuery = "how do vaccines train the immune system?";

    /// <summary>Words from every topic of the sample corpus: matches far more than 12 of its 41 documents.</summary>
    internal const string BroadQuery = "light water food body travel computer history sport energy sleep teeth air";

    /// <summary>A hit as printed by <c>--json</c>.</summary>
    internal sealed record JsonHit(int Rank, string Id, double Score, string Title, string Snippet);

    /// <summary>Parses one <c>--json</c> line of a BM25 search: {"query": ..., "retrieval": "bm25", "hits": [{"rank", "id", "score", "title", "snippet"}]}.</summary>
    internal static (string Query, List<JsonHit> Hits) ParseJsonLine(string line)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal(["query", "retrieval", "hits"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("bm25", root.GetProperty("retrieval").GetString());
        var hits = root.GetProperty("hits").EnumerateArray().Select(h =>
        {
            Assert.Equal(["rank", "id", "score", "title", "snippet"], h.EnumerateObject().Select(p => p.Name));
            return new JsonHit(h.GetProperty("rank").GetInt32(), h.GetProperty("id").GetString()!, h.GetProperty("score").GetDouble(),
                h.GetProperty("title").GetString()!, h.GetProperty("snippet").GetString()!);
        }).ToList();
        return (root.GetProperty("query").GetString()!, hits);
    }

    /// <summary>Ranks 1..n, scores descending.</summary>
    internal static void AssertRanked(IReadOnlyList<JsonHit> hits)
    {
        Assert.Equal(Enumerable.Range(1, hits.Count), hits.Select(h => h.Rank));
        for (var i = 1; i < hits.Count; i++) Assert.True(hits[i - 1].Score >= hits[i].Score, $"score at rank {i} < score at rank {i + 1}");
    }

    [Fact]
    public async Task Search_OneShotJson_PrintsRankedHitsWithVaccineDocumentFirst()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--top", "2", VaccineQuery);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
        var (query, hits) = ParseJsonLine(Assert.Single(result.OutputLines));
        Assert.Equal(VaccineQuery, query);
        Assert.Equal(2, hits.Count);
        AssertRanked(hits);
        Assert.Equal(("sci-03", "How vaccines train immunity"), (hits[0].Id, hits[0].Title));
        Assert.StartsWith("A vaccine ", hits[0].Snippet);
        Assert.Equal(hits.Count, hits.Select(h => h.Id).Distinct().Count());
        // The same ranking the library gives.
        using var searcher = Bm25Searcher.Open(sample.Index);
        var expected = searcher.Search(VaccineQuery, 2);
        // Scores are floats printed in their shortest round-trip form.
        Assert.Equal(expected.Select(h => (h.DocId, h.Score)), hits.Select(h => (h.Id, (float)h.Score)));
    }

    [Fact]
    public async Task Search_Table_PrintsRanksIdsAndTitles()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--top", "3", VaccineQuery);

        Assert.True(result.ExitCode == 0, result.ToString());
        var text = System.Text.RegularExpressions.Regex.Replace(result.Output, "\u001b\\[[0-9;]*m", "");
        Assert.Contains("rank", text);
        Assert.Contains("sci-03", text);
        Assert.Contains("How vaccines train immunity", text);
    }

    [Fact]
    public async Task Search_TableIntoNonConsoleWriter_HasNoEscapeCodes()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--top", "3", VaccineQuery);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("\u001b[", result.Output);
    }

    [Theory]
    [InlineData("(vaccine) AND -immune: *?")]
    [InlineData("title:vaccine \"immune")]
    [InlineData("vaccine^2 ~ [a TO z] {} || && \\")]
    public async Task Search_LuceneSyntaxCharactersInPlainQuery_ExitsZeroWithHits(string text)
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", text);

        Assert.True(result.ExitCode == 0, result.ToString());
        var (query, hits) = ParseJsonLine(Assert.Single(result.OutputLines));
        Assert.Equal(text, query);
        Assert.NotEmpty(hits);
        AssertRanked(hits);
    }

    [Fact]
    public async Task Search_LuceneSyntaxFlagWithUnclosedGroup_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--no-rerank", "--lucene-syntax", "vaccine AND (");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: Cannot parse 'vaccine AND (' as Lucene query syntax: unexpected end of query at column 14. " +
            "Fix the syntax, or drop --lucene-syntax to search the text as plain words.\n", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Search_LuceneSyntaxFlagWithBoolean_ExcludesNegatedTerm()
    {
        var plain = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--top", "50", "vaccine immune");
        var excluded = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--top", "50", "--lucene-syntax", "vaccine OR immune -vaccine");

        Assert.True(plain.ExitCode == 0 && excluded.ExitCode == 0, plain + "\n" + excluded);
        Assert.Contains("sci-03", ParseJsonLine(plain.Output).Hits.Select(h => h.Id));
        Assert.DoesNotContain("sci-03", ParseJsonLine(excluded.Output).Hits.Select(h => h.Id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Search_EmptyQuery_ExitsTwoWithMessage(string text)
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--no-rerank", text);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: Expected a query with at least one word, found an empty query. Type some words to search for.\n", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Search_StopWordsOnly_PrintsNoMatchLine()
    {
        var table = await CliInvocation.SearchHost("search", "--index", sample.Index, "the of and");
        var json = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "the of and");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Equal("No documents match (after analysis the query may contain only stop words).\n", table.Output);
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal("{\"query\":\"the of and\",\"retrieval\":\"bm25\",\"hits\":[]}\n", json.Output);
    }

    [Fact]
    public async Task Search_MissingIndex_ExitsTwoWithMessage()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"cli-no-index-{Guid.NewGuid():N}");

        var result = await CliInvocation.SearchHost("search", "--index", missing, "tides");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: '{missing}' is not a SearchRerank index: expected a folder with searchrerank-index.json and a Lucene index, " +
            $"but the folder does not exist. Build one with `search-host index --corpus ... --index {missing}`.\n", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Search_FolderWithoutManifest_ExitsTwoWithMessage()
    {
        using var temp = new TempFolder("cli-not-index");

        var result = await CliInvocation.SearchHost("search", "--index", temp.Path, "tides");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: '{temp.Path}' is not a SearchRerank index: expected a folder with searchrerank-index.json and a Lucene index, " +
            $"but it has no searchrerank-index.json. Build one with `search-host index --corpus ... --index {temp.Path}`.\n", result.Error);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(12)]
    public async Task Search_Top_PrintsThatManyHits(int top)
    {
        using (var searcher = Bm25Searcher.Open(sample.Index)) Assert.True(searcher.Search(BroadQuery, 100).Count > 12);

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--top", top.ToString(), BroadQuery);

        Assert.True(result.ExitCode == 0, result.ToString());
        var (_, hits) = ParseJsonLine(Assert.Single(result.OutputLines));
        Assert.Equal(top, hits.Count);
        AssertRanked(hits);
    }

    [Fact]
    public async Task Search_NoTop_PrintsTenHits()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", BroadQuery);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(10, ParseJsonLine(result.Output).Hits.Count);
    }

    [Fact]
    public async Task Search_TopZero_ExitsTwoWithOneLineNamingTheFlag()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--top", "0", "tides");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --top must be between 1 and 10000, found 0. (see --help)\n", result.Error);
        Assert.Equal("", result.Output);
    }

    /// <summary>Exactly one line on standard error, "error: invalid settings: FAILURE. Check the flags, ...", and nothing on standard output.</summary>
    internal static void AssertSettingsError(string failure, CliResult result)
    {
        Assert.Equal($"error: invalid settings: {failure}. Check the flags, appsettings.json and SEARCHRERANK_* environment variables.\n", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Search_UnknownScoreMode_ExitsTwoWithOneLineNamingTheFlag()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--score-mode", "mix", "tides");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --score-mode must be replace or interpolate, found 'mix'. (see --help)\n", result.Error);
    }
}
