using System.Globalization;
using System.Text.RegularExpressions;

namespace Rerank.Lucene.Tests.Cli;

/// <summary><c>search-host eval</c> with BM25 only, on the sample corpus and its 12 judged queries.</summary>
public sealed class EvalCommandTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-eval");

    public void Dispose() => _temp.Dispose();

    private Task<CliResult> Eval(params string[] extra) =>
        CliInvocation.SearchHost(["eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, .. extra]);

    [Fact]
    public async Task Eval_Json_PrintsExactShapeWithMetricsOfTheRunFile()
    {
        var run = _temp.Combine("out", "bm25.run");

        var result = await Eval("--json", "--run", run);

        Assert.True(result.ExitCode == 0, result.ToString());
        var (queries, rankings) = RunFiles.ParseEvalJson(result.Output, "bm25");
        Assert.Equal(SampleCorpus.JudgedQueryCount, queries);
        var expected = RunFiles.EvaluateFile(SampleCorpus.Qrels, run);
        Assert.Equal(SampleCorpus.JudgedQueryCount, expected.QueryCount);
        Assert.Equal(expected.Mean, rankings["bm25"]);
        // BM25 finds something relevant for the sample queries: the metrics are not all zero.
        Assert.True(rankings["bm25"].Ndcg10 > 0.3, $"nDCG@10 {rankings["bm25"].Ndcg10}");
        Assert.Equal("", result.Error);
    }

    [Fact]
    public async Task Eval_Run_WritesTrecLinesForEveryJudgedQuery()
    {
        var run = _temp.Combine("bm25.run");

        var result = await Eval("--json", "--run", run);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = RunFiles.ReadAndCheck(run, "bm25");
        // Queries in qrels order; default depth 1000 keeps every matching document (at most 41).
        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"q{i}"), lines.Select(l => l.QueryId).Distinct());
        Assert.All(lines.GroupBy(l => l.QueryId), g => Assert.InRange(g.Count(), 1, SampleCorpus.DocumentCount));
        Assert.Contains(lines, l => (l.QueryId, l.DocId) == ("q4", "sci-03")); // "what protects the body from getting sick" finds the vaccine page
    }

    [Fact]
    public async Task Eval_Top_LimitsEachQueryToThatManyLines()
    {
        var run = _temp.Combine("bm25.run");

        var result = await Eval("--json", "--run", run, "--top", "3");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = RunFiles.ReadAndCheck(run, "bm25");
        Assert.All(lines.GroupBy(l => l.QueryId), g => Assert.InRange(g.Count(), 1, 3));
        Assert.Contains(lines.GroupBy(l => l.QueryId), g => g.Count() == 3);
        var (_, rankings) = RunFiles.ParseEvalJson(result.Output, "bm25");
        Assert.Equal(RunFiles.EvaluateFile(SampleCorpus.Qrels, run).Mean, rankings["bm25"]);
    }

    [Fact]
    public async Task Eval_Table_PrintsQueryCountAndFormattedMetrics()
    {
        var run = _temp.Combine("bm25.run");

        var result = await Eval("--run", run);

        Assert.True(result.ExitCode == 0, result.ToString());
        var text = Regex.Replace(result.Output, "\u001b\\[[0-9;]*m", "");
        Assert.StartsWith("12 judged queries evaluated, depth 1000\n", text);
        var mean = RunFiles.EvaluateFile(SampleCorpus.Qrels, run).Mean;
        foreach (var (name, value) in new[] { ("nDCG@10", mean.Ndcg10), ("MRR@10", mean.Mrr10), ("MAP", mean.Map), ("Recall@100", mean.Recall100), ("P@10", mean.P10) })
        {
            Assert.Matches($"\\b{Regex.Escape(name)} +{Regex.Escape(value.ToString("0.0000", CultureInfo.InvariantCulture))}\\b", text);
        }
    }

    [Fact]
    public async Task Eval_RerankedRunWithoutReranker_ExitsTwoWithMessage()
    {
        var result = await Eval("--json", "--reranked-run", _temp.Combine("rerank.run"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --reranked-run needs a model: pass --reranker DIR as well.\n", result.Error);
        Assert.Equal("", result.Output);
        Assert.False(File.Exists(_temp.Combine("rerank.run")));
    }

    [Fact]
    public async Task Eval_MissingIndex_ExitsTwoWithMessage()
    {
        var missing = _temp.Combine("no-index");

        var result = await CliInvocation.SearchHost("eval", "--index", missing, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: '{missing}' is not a SearchRerank index: expected a folder with searchrerank-index.json and a Lucene index, " +
            $"but the folder does not exist. Build one with `search-host index --corpus ... --index {missing}`.\n", result.Error);
    }
}

/// <summary><c>--verbose</c> shows the information and debug logs although appsettings.json sets the default level to Warning.</summary>
public sealed class VerboseLoggingTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Eval_Verbose_LogsWhatItWrote(bool verbose)
    {
        using var temp = new TempFolder("cli-verbose");
        var run = temp.Combine("bm25.run");
        string[] args = ["eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--no-rerank", "--run", run];
        using var child = ChildProcess.SearchHost(verbose ? [.. args, "--verbose"] : args);
        child.Input.Close();

        Assert.Equal(0, await child.WaitForExit(120));
        // "Wrote run PATH" is an information message: shown with --verbose only, and on standard error (standard output is for results).
        Assert.Equal(verbose, child.Error.Contains($"Wrote run {run}", StringComparison.Ordinal));
        Assert.DoesNotContain("Wrote run", child.Output);
    }
}

/// <summary><c>search-host eval</c> on an index with document vectors: every first stage side by side.</summary>
[Collection(Native.TorchCollection.Name)]
public sealed class EvalHybridCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("cli-eval-hybrid");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Eval_IndexWithVectors_ReportsBm25DenseHybridAsTheirRunFilesScore()
    {
        var index = _temp.Combine("idx");
        var built = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(built.ExitCode == 0, built.ToString());
        string[] runs = [_temp.Combine("bm25.run"), _temp.Combine("dense.run"), _temp.Combine("hybrid.run")];

        var result = await CliInvocation.SearchHost("eval", "--index", index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--json", "--device", "cpu", "--run", runs[0], "--dense-run", runs[1], "--hybrid-run", runs[2]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var (queries, rankings) = RunFiles.ParseEvalJson(result.Output, "bm25", "dense", "hybrid");
        Assert.Equal(SampleCorpus.JudgedQueryCount, queries);
        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        Assert.Equal("hybrid", json.RootElement.GetProperty("retrieval").GetString());
        Assert.Equal(["bm25", "dense", "hybrid"], json.RootElement.GetProperty("ms_per_query").EnumerateObject().Select(p => p.Name));
        string[] names = ["bm25", "dense", "hybrid"];
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(RunFiles.EvaluateFile(SampleCorpus.Qrels, runs[i]).Mean, rankings[names[i]]);
            var lines = RunFiles.ReadAndCheck(runs[i], names[i]);
            // Hybrid fuses BM25 top 100 and dense top 100: at most the 41 documents of the corpus per query.
            Assert.All(lines.GroupBy(l => l.QueryId), g => Assert.InRange(g.Count(), 1, SampleCorpus.DocumentCount));
        }
        // The dense stage scores every document of the corpus for every query.
        Assert.All(RunFiles.ReadAndCheck(runs[1], "dense").GroupBy(l => l.QueryId), g => Assert.Equal(SampleCorpus.DocumentCount, g.Count()));
    }
}

/// <summary><c>--fusion minmax --dense-weight W</c>: the hybrid stage's weighted min-max fusion, checked at its end points.</summary>
public sealed class FusionFlagTests : IDisposable
{
    private readonly TempFolder _temp = new("cli-fusion");

    public void Dispose() => _temp.Dispose();

    private static string[] Ids(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        return json.RootElement.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetString()!).ToArray();
    }

    [Fact]
    public async Task Search_MinMaxWithDenseWeightZeroOrOne_RanksAsBm25OrDenseAlone()
    {
        var index = _temp.Combine("idx");
        var built = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(built.ExitCode == 0, built.ToString());
        string[] search = ["search", "--index", index, "--no-rerank", "--json", "--top", "5", SearchCommandTests.BroadQuery];

        // --device is refused where nothing runs on it (BM25 alone, no reranker), so only the searches that embed the query take it.
        var bm25 = Ids(await CliInvocation.SearchHost([.. search, "--retrieval", "bm25"]));
        search = [.. search, "--device", "cpu"];
        var dense = Ids(await CliInvocation.SearchHost([.. search, "--retrieval", "dense"]));
        var hybridBm25 = Ids(await CliInvocation.SearchHost([.. search, "--retrieval", "hybrid", "--fusion", "minmax", "--dense-weight", "0"]));
        var hybridDense = Ids(await CliInvocation.SearchHost([.. search, "--retrieval", "hybrid", "--fusion", "minmax", "--dense-weight", "1"]));

        // Min-max normalisation keeps each ranking's order; with all weight on one side the fusion is that ranking.
        Assert.Equal(bm25, hybridBm25);
        Assert.Equal(dense, hybridDense);
        Assert.NotEqual(bm25, dense);
    }

    [Fact]
    public async Task Search_DenseWeightWithRrf_ExitsTwo()
    {
        var result = await CliInvocation.SearchHost("search", "--index", _temp.Combine("none"), "--fusion", "rrf", "--dense-weight", "0.3", "q");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--dense-weight applies to --fusion minmax", result.Error);
    }
}
