namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// Configuration layering of <c>search-host</c> (defaults, then SEARCHRERANK_* environment variables,
/// then flags) and the interactive prompt, which reads Console.In.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class SearchHostConfigurationTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private const string ManyMatches = SearchCommandTests.BroadQuery;

    [Fact]
    public async Task Search_TopFromEnvironmentAndNoFlag_UsesEnvironment()
    {
        using var top = new EnvironmentVariableScope("SEARCHRERANK_SearchHost__Top", "3");

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", ManyMatches);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(3, SearchCommandTests.ParseJsonLine(result.Output).Hits.Count);
    }

    [Fact]
    public async Task Search_TopFromEnvironmentAndFlag_FlagWins()
    {
        using var top = new EnvironmentVariableScope("SEARCHRERANK_SearchHost__Top", "3");

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--top", "5", ManyMatches);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(5, SearchCommandTests.ParseJsonLine(result.Output).Hits.Count);
    }

    [Fact]
    public async Task Search_InvalidTopFromEnvironment_ExitsTwoNamingTheSetting()
    {
        using var top = new EnvironmentVariableScope("SEARCHRERANK_SearchHost__Top", "0");

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, ManyMatches);

        Assert.Equal(2, result.ExitCode);
        SearchCommandTests.AssertSettingsError("The field SearchHost:Top must be between 1 and 10000 (found 0)", result);
    }

    [Fact]
    public async Task Search_InvalidTopFromEnvironmentAndValidFlag_FlagWins()
    {
        using var top = new EnvironmentVariableScope("SEARCHRERANK_SearchHost__Top", "0");

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--top", "2", ManyMatches);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, SearchCommandTests.ParseJsonLine(result.Output).Hits.Count);
    }

    [Fact]
    public async Task Search_IndexFromEnvironmentAndNoFlag_UsesEnvironment()
    {
        using var index = new EnvironmentVariableScope("SEARCHRERANK_SearchHost__Index", sample.Index);

        var result = await CliInvocation.SearchHost("search", "--json", "vaccines");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("sci-03", SearchCommandTests.ParseJsonLine(result.Output).Hits[0].Id);
    }

    [Fact]
    public async Task Search_NoIndexAnywhere_ExitsTwoWithMessage()
    {
        using var index = new EnvironmentVariableScope("SEARCHRERANK_SearchHost__Index", null);

        var result = await CliInvocation.SearchHost("search", "vaccines");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: No index given. Pass --index DIR (build one with `search-host index --corpus FILE --index DIR`), or set SearchHost:Index in appsettings.json.\n", result.Error);
    }

    [Fact]
    public async Task Search_InteractivePrompt_AnswersEachLineUntilEmptyLine()
    {
        using var input = new ConsoleInScope($"vaccines\n{ManyMatches}\n\nnever read\n");

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--top", "2");

        Assert.True(result.ExitCode == 0, result.ToString());
        var answers = result.OutputLines.Select(SearchCommandTests.ParseJsonLine).ToList();
        Assert.Equal(["vaccines", ManyMatches], answers.Select(a => a.Query));
        Assert.Equal(["sci-03"], answers[0].Hits.Select(h => h.Id)); // the only document about vaccines
        Assert.Equal(2, answers[1].Hits.Count);
        Assert.Equal("Searching 41 documents. Type a query; an empty line, Ctrl-D or Ctrl-C quits.\nquery> query> query> ", result.Error);
    }

    [Fact]
    public async Task Search_InteractiveBadQuery_ReportsItAndContinuesUntilEndOfInput()
    {
        using var input = new ConsoleInScope("vaccine AND (\nvaccines");

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--lucene-syntax");

        Assert.True(result.ExitCode == 0, result.ToString());
        var answer = SearchCommandTests.ParseJsonLine(Assert.Single(result.OutputLines));
        Assert.Equal("vaccines", answer.Query);
        Assert.Equal("Searching 41 documents. Type a query; an empty line, Ctrl-D or Ctrl-C quits.\n" +
            "query> error: Cannot parse 'vaccine AND (' as Lucene query syntax: unexpected end of query at column 14. " +
            "Fix the syntax, or drop --lucene-syntax to search the text as plain words.\n" +
            "query> query> ", result.Error);
    }

    [Fact]
    public async Task Search_InteractiveIndexRebuiltBetweenQueries_ReopensItAndSaysSo()
    {
        using var temp = new TempFolder("cli-reopen");
        var index = temp.Combine("idx");
        Rerank.Lucene.Indexing.IndexBuilder.Build(Rerank.Lucene.Indexing.CorpusReader.ReadJsonl(SampleCorpus.Corpus), index, new Rerank.Lucene.Indexing.IndexOptions());
        var narwhals = temp.WriteFile("narwhals.jsonl",
            """{"_id": "n1", "title": "Narwhals", "text": "Narwhals are whales with a long tusk."}""",
            """{"_id": "n2", "title": "Walruses", "text": "Walruses haul out on sea ice."}""");
        // The second line is read after the index was rebuilt in place, as another process's `index --overwrite` would.
        using var input = new ConsoleInScope(new ScriptedReader(
            "whales",
            () =>
            {
                Rerank.Lucene.Indexing.IndexBuilder.Build(Rerank.Lucene.Indexing.CorpusReader.ReadJsonl(narwhals), index,
                    new Rerank.Lucene.Indexing.IndexOptions(Overwrite: true));
                return "whales";
            }));

        var result = await CliInvocation.SearchHost("search", "--index", index, "--json", "--no-rerank");

        Assert.True(result.ExitCode == 0, result.ToString());
        var answers = result.OutputLines.Select(SearchCommandTests.ParseJsonLine).ToList();
        Assert.Equal(2, answers.Count);
        Assert.DoesNotContain("n1", answers[0].Hits.Select(h => h.Id));
        Assert.Equal(["n1"], answers[1].Hits.Select(h => h.Id));
        Assert.Equal("Searching 41 documents. Type a query; an empty line, Ctrl-D or Ctrl-C quits.\n" +
            $"query> query> index was rebuilt; reopened '{index}' (2 documents, was 41).\n" +
            "query> ", result.Error);
    }

    /// <summary>
    /// The prompt's index rebuilt at int8 between two queries: the second query is answered (was: "reopened", then an error
    /// about precision fp32 vs int8 for every query) by an int8 query embedder loaded for it, and the prompt says so.
    /// </summary>
    [Fact]
    public async Task Search_InteractiveIndexRebuiltAtInt8_ReloadsTheQueryEmbedderAndSaysSo()
    {
        using var temp = new TempFolder("cli-reopen-int8");
        var index = temp.Combine("idx");
        string model;
        using (var fp32 = Rerank.Lucene.Embedding.BiEncoder.LoadBundled(new Rerank.Lucene.Embedding.BiEncoderOptions { Device = "cpu" }))
        {
            model = fp32.ModelName;
            Rerank.Lucene.Indexing.IndexBuilder.Build(Rerank.Lucene.Indexing.CorpusReader.ReadJsonl(SampleCorpus.Corpus), index, new Rerank.Lucene.Indexing.IndexOptions(Embedder: fp32));
        }
        var narwhals = temp.WriteFile("narwhals.jsonl",
            """{"_id": "n1", "title": "Narwhals", "text": "Narwhals are whales with a long tusk."}""",
            """{"_id": "n2", "title": "Tea", "text": "Green tea leaves are steamed and dried."}""");
        using var input = new ConsoleInScope(new ScriptedReader(
            "whales with tusks",
            () =>
            {
                using var int8 = Rerank.Lucene.Embedding.BiEncoder.LoadBundled(new Rerank.Lucene.Embedding.BiEncoderOptions { Device = "cpu", Precision = Rerank.Lucene.Reranking.Precision.Int8 });
                Rerank.Lucene.Indexing.IndexBuilder.Build(Rerank.Lucene.Indexing.CorpusReader.ReadJsonl(narwhals), index,
                    new Rerank.Lucene.Indexing.IndexOptions(Embedder: int8, Overwrite: true));
                return "whales with tusks";
            }));

        var result = await CliInvocation.SearchHost("search", "--index", index, "--json", "--no-rerank", "--retrieval", "dense");

        Assert.True(result.ExitCode == 0, result.ToString());
        var answers = result.OutputLines.Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, answers.Count);
        Assert.Equal("fp32", answers[0]["embedder"]!["precision"]!.GetValue<string>());
        Assert.Equal("int8", answers[1]["embedder"]!["precision"]!.GetValue<string>());
        // Of two documents, the one about whales ranks first.
        Assert.Equal(["n1", "n2"], answers[1]["hits"]!.AsArray().Select(h => h!["id"]!.GetValue<string>()));
        Assert.Equal("Searching 41 documents. Type a query; an empty line, Ctrl-D or Ctrl-C quits.\n" +
            $"query> query> index was rebuilt; reopened '{index}' (2 documents, was 41).\n" +
            $"query embedder reloaded for the rebuilt index's vectors: {model} on onnxruntime int8 (was onnxruntime fp32).\n" +
            "query> ", result.Error);
    }

    [Fact]
    public async Task Search_InteractiveIndexUpdatedBetweenQueries_SaysUpdatedWithTheGeneration()
    {
        using var temp = new TempFolder("cli-reopen-update");
        var index = temp.Combine("idx");
        Rerank.Lucene.Indexing.IndexBuilder.Build(Rerank.Lucene.Indexing.CorpusReader.ReadJsonl(SampleCorpus.Corpus), index, new Rerank.Lucene.Indexing.IndexOptions());
        var narwhals = temp.WriteFile("narwhals.jsonl",
            """{"_id": "n1", "title": "Narwhals", "text": "Narwhals are whales with a long tusk."}""",
            """{"_id": "n2", "title": "Walruses", "text": "Walruses haul out on sea ice."}""");
        // Between the reads: an update (41 + 2 = 43 documents, generation 1), then a delete (42, generation 2).
        using var input = new ConsoleInScope(new ScriptedReader(
            "whales",
            () =>
            {
                Rerank.Lucene.Indexing.IndexUpdater.AddOrReplace(index, Rerank.Lucene.Indexing.CorpusReader.ReadJsonl(narwhals), new Rerank.Lucene.Indexing.IndexUpdateOptions());
                return "whales";
            },
            () =>
            {
                Rerank.Lucene.Indexing.IndexUpdater.Delete(index, ["n2"], new Rerank.Lucene.Indexing.IndexUpdateOptions());
                return "whales";
            }));

        var result = await CliInvocation.SearchHost("search", "--index", index, "--json", "--no-rerank");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(3, result.OutputLines.Length);
        Assert.Equal("Searching 41 documents. Type a query; an empty line, Ctrl-D or Ctrl-C quits.\n" +
            $"query> query> index was updated (generation 1); reopened '{index}' (43 documents, was 41).\n" +
            $"query> index was updated (generation 2); reopened '{index}' (42 documents, was 43).\n" +
            "query> ", result.Error);
    }

    /// <summary>Console input whose lines come from functions, so a test can act between two reads; then end of input.</summary>
    private sealed class ScriptedReader(params object[] lines) : TextReader
    {
        private int _next;

        public override string? ReadLine() => _next < lines.Length
            ? lines[_next++] switch { string s => s, Func<string> f => f(), var other => throw new InvalidOperationException(other.ToString()) }
            : null;
    }
}
