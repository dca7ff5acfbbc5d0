namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// Mistyped options on every command of both programs: never taken as a query or ignored, always exit 2 with
/// the closest option named.
/// </summary>
public sealed class UnknownOptionTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-typo");

    public void Dispose() => _temp.Dispose();

    /// <summary>Exit 2, nothing on standard output, no stack frame, exactly these lines on standard error.</summary>
    internal static void AssertBadInput(CliResult result, params string[] errorLines)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("", result.Output);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Equal(errorLines, result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Search_MistypedOptionWhereTheQueryGoes_ExitsTwoSuggestingJson()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--jsn");

        AssertBadInput(result, "error: unknown option '--jsn' for `search-host search`. Did you mean --json? " +
            "To pass '--jsn' itself as an argument, put -- before it. (see --help)");
    }

    [Fact]
    public async Task Search_MistypedOptionBeforeTheQuery_ExitsTwoWithOneMessage()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--candidate", "5", "tides");

        AssertBadInput(result, "error: unknown option '--candidate' for `search-host search`. Did you mean --candidates? " +
            "To pass '--candidate' itself as an argument, put -- before it. (see --help)");
    }

    [Fact]
    public async Task Search_OptionLikeQueryAfterDoubleDash_IsSearched()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--", "--jsn");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("--jsn", SearchCommandTests.ParseJsonLine(result.Output).Query);
    }

    [Fact]
    public async Task Search_QueryStartingWithDashAndSpaces_IsSearched()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--lucene-syntax", "-vaccine immune system");

        Assert.True(result.ExitCode == 0, result.ToString());
        // Not split into -v (--verbose) and "accine immune system": the whole text is the query, and -vaccine excludes sci-03.
        var (query, hits) = SearchCommandTests.ParseJsonLine(result.Output);
        Assert.Equal("-vaccine immune system", query);
        Assert.DoesNotContain("sci-03", hits.Select(h => h.Id));
    }

    [Fact]
    public async Task Search_QueryStartingWithAt_IsSearchedNotReadAsResponseFile()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "@vaccines");

        Assert.True(result.ExitCode == 0, result.ToString());
        var (query, hits) = SearchCommandTests.ParseJsonLine(result.Output);
        Assert.Equal("@vaccines", query);
        Assert.Equal("sci-03", hits[0].Id);
    }

    [Theory]
    [InlineData("--ovewrite", "--overwrite")]
    [InlineData("--skip-emtpy", "--skip-empty")]
    [InlineData("--fromat", "--format")]
    public async Task Index_MistypedOption_ExitsTwoSuggestingTheOptionAndBuildsNothing(string typed, string meant)
    {
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, typed);

        AssertBadInput(result, $"error: unknown option '{typed}' for `search-host index`. Did you mean {meant}? (see --help)");
        Assert.False(Directory.Exists(index));
    }

    [Fact]
    public async Task Eval_MistypedOption_ExitsTwoAndWritesNoRun()
    {
        var run = _temp.Combine("bm25.run");

        var result = await CliInvocation.SearchHost("eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--run", run, "--jsno");

        AssertBadInput(result, "error: unknown option '--jsno' for `search-host eval`. Did you mean --json? (see --help)");
        Assert.False(File.Exists(run));
    }

    [Fact]
    public async Task Score_MistypedOption_ExitsTwoSuggestingTheOption()
    {
        var result = await CliInvocation.SearchHost("score", "--pairs", _temp.Combine("pairs.tsv"), "--reranekr", "model");

        AssertBadInput(result, "error: unknown option '--reranekr' for `search-host score`. Did you mean --reranker? (see --help)");
    }

    [Fact]
    public async Task ModelConvert_MistypedOption_NamesTheSubcommand()
    {
        var result = await CliInvocation.SearchHost("model", "convert-fp16", "--input", "a", "--output", "b", "--overwite");

        AssertBadInput(result, "error: unknown option '--overwite' for `search-host model convert-fp16`. Did you mean --overwrite? (see --help)");
    }

    [Fact]
    public async Task Search_UnknownOptionFarFromAny_ExitsTwoWithoutSuggestion()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--xyzzy", "tides");

        AssertBadInput(result, "error: unknown option '--xyzzy' for `search-host search`. " +
            "To pass '--xyzzy' itself as an argument, put -- before it. (see --help)");
    }

    [Fact]
    public async Task Search_HelpWithMistypedOption_ShowsHelp()
    {
        var result = await CliInvocation.SearchHost("search", "--help", "--jsn");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("--json", result.Output);
    }

    [Fact]
    public async Task Train_MistypedOption_ExitsTwoSuggestingTheOptionBeforeReadingAnything()
    {
        var output = _temp.Combine("model");

        var result = await CliInvocation.RerankTrain("--index", sample.Index, "--self-supervised", "--output", output, "--lrr", "1e-4");

        AssertBadInput(result, "error: unknown option '--lrr' for `rerank-train`. Did you mean --lr? (see --help)");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Train_MistypedBooleanOption_ExitsTwoSuggestingTheOption()
    {
        var result = await CliInvocation.RerankTrain("--index", sample.Index, "--self-supervised", "--output", _temp.Combine("model"), "--mine-onyl");

        AssertBadInput(result, "error: unknown option '--mine-onyl' for `rerank-train`. Did you mean --mine-only? (see --help)");
    }

    [Fact]
    public async Task MistypedCommand_ExitsTwoSuggestingTheCommandNotItsOptions()
    {
        var result = await CliInvocation.SearchHost("serch", "--index", sample.Index, "tides");

        AssertBadInput(result, "error: unknown command 'serch' for `search-host`. Did you mean search? (see --help)");
    }

    [Fact]
    public async Task MistypedSubcommand_ExitsTwoSuggestingIt()
    {
        var result = await CliInvocation.SearchHost("model", "conver-fp16", "--input", "a", "--output", "b");

        AssertBadInput(result, "error: unknown command 'conver-fp16' for `search-host model`. Did you mean convert-fp16? (see --help)");
    }
}
