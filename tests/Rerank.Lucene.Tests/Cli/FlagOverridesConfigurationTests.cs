namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// A flag typed on the command line beats configuration (appsettings.json, SEARCHRERANK_* environment variables),
/// booleans included: <c>--no-rerank</c> turns off a configured reranker on every command that reranks.
/// The configured model folder does not exist, so any attempt to load it would fail the command.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class FlagOverridesConfigurationTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-override");

    public void Dispose() => _temp.Dispose();

    private EnvironmentVariableScope ConfiguredReranker() =>
        new("SEARCHRERANK_SearchHost__Reranker__Model", _temp.Combine("configured-model"));

    [Fact]
    public async Task Search_NoRerankWithRerankerInConfiguration_SearchesBm25Only()
    {
        using var model = ConfiguredReranker();

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--no-rerank", "vaccines");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
        Assert.Equal("sci-03", SearchCommandTests.ParseJsonLine(result.Output).Hits[0].Id);
    }

    [Fact]
    public async Task Search_RerankerInConfigurationWithoutNoRerank_UsesIt()
    {
        using var model = ConfiguredReranker();

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "vaccines");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(_temp.Combine("configured-model"), result.Error);
    }

    [Fact]
    public async Task Search_NoRerankAndRerankerFlags_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--no-rerank", "--reranker", _temp.Combine("m"), "vaccines");

        UnknownOptionTests.AssertBadInput(result, "error: --no-rerank and --reranker contradict each other; pass one of them.");
    }

    [Fact]
    public async Task Eval_NoRerankWithRerankerInConfiguration_EvaluatesBm25Only()
    {
        using var model = ConfiguredReranker();

        var result = await CliInvocation.SearchHost("eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--json", "--no-rerank");

        Assert.True(result.ExitCode == 0, result.ToString());
        var (queries, _) = RunFiles.ParseEvalJson(result.Output, "bm25");
        Assert.Equal(SampleCorpus.JudgedQueryCount, queries);
    }
}
