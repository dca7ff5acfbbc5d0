using System.Globalization;
using System.Text.Json;

namespace Rerank.Lucene.Tests.Cli;

/// <summary><c>search-host trec-eval</c> (evaluate run files) and <c>search-host batch</c> (write a run without judgments).</summary>
public sealed class TrecEvalAndBatchCommandTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private static readonly string Golden = Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "trec-eval");
    private readonly TempFolder _temp = new("cli-trec-eval");

    public void Dispose() => _temp.Dispose();

    /// <summary>trec_eval 10.0's "all" line of a measure in a golden file.</summary>
    private static double GoldenMean(string file, string measure) =>
        File.ReadLines(Path.Combine(Golden, file)).Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(c => c[0] == measure && c[1] == "all").Select(c => double.Parse(c[2], CultureInfo.InvariantCulture)).Single();

    [Fact]
    public async Task TrecEval_Json_EqualsTrecEvalOnTheSameFiles()
    {
        var result = await CliInvocation.SearchHost("trec-eval", "--qrels", Path.Combine(Golden, "qrels.txt"), Path.Combine(Golden, "run.txt"), "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal((int)GoldenMean("expected-c.txt", "num_q"), json.RootElement.GetProperty("queries").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("queries_without_relevant").GetInt32());
        var run = json.RootElement.GetProperty("runs").GetProperty(Path.Combine(Golden, "run.txt"));
        Assert.Equal(GoldenMean("expected-c.txt", "ndcg_cut_10"), Math.Round(run.GetProperty("ndcg@10").GetDouble(), 4));
        Assert.Equal(GoldenMean("expected-c.txt", "map"), Math.Round(run.GetProperty("map").GetDouble(), 4));
        Assert.Equal(GoldenMean("expected-c.txt", "P_10"), Math.Round(run.GetProperty("p@10").GetDouble(), 4));
        Assert.Equal(GoldenMean("expected-c.txt", "recall_100"), Math.Round(run.GetProperty("recall@100").GetDouble(), 4));
        Assert.Equal(GoldenMean("expected-recip-rank-M10.txt", "recip_rank"), Math.Round(run.GetProperty("mrr@10").GetDouble(), 4));
    }

    [Fact]
    public async Task TrecEval_TwoRuns_PrintsBothAndPValueAgainstTheFirst()
    {
        // A second run that puts every relevant document of q1..q3 first, the rest as the first run.
        var better = _temp.WriteFile("better.run",
            "q1 Q0 b 1 9 x", "q2 Q0 d9 1 9 x", "q2 Q0 d1 2 8 x", "q2 Q0 d2 3 7 x", "q3 Q0 d1 1 1 x");

        var result = await CliInvocation.SearchHost("trec-eval", "--qrels", Path.Combine(Golden, "qrels.txt"), Path.Combine(Golden, "run.txt"), better);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("19 judged queries evaluated (1 without a relevant document, scoring 0 as with trec_eval -c)\n", result.Output);
        Assert.Contains("better.run: 16 judged queries have no results and score 0", result.Output);
        Assert.Matches(@"ndcg@10\s+0\.2061\s+\d\.\d{4} \(p=\d\.\d{3}\)", result.Output);
    }

    [Fact]
    public async Task Batch_WritesTheRunEvalWrites()
    {
        var batch = _temp.Combine("batch.run");
        var evalRun = _temp.Combine("eval.run");

        var written = await CliInvocation.SearchHost("batch", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--run", batch);
        var evaluated = await CliInvocation.SearchHost("eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--run", evalRun);

        Assert.True(written.ExitCode == 0, written.ToString());
        Assert.True(evaluated.ExitCode == 0, evaluated.ToString());
        // The sample's 12 queries are all judged, so both files rank the same queries the same way.
        Assert.Equal(File.ReadAllText(evalRun), File.ReadAllText(batch));
        Assert.Contains($"Wrote 12 queries (12 with results, depth 1000) to {batch}", written.Output);
    }

    [Fact]
    public async Task Batch_ExistingNonRunFile_ExitsTwoAndKeepsIt()
    {
        var notes = _temp.WriteFile("notes.txt", "my notes");

        var result = await CliInvocation.SearchHost("batch", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--run", notes, "--overwrite");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("my notes\n", File.ReadAllText(notes));
    }

    [Fact]
    public async Task TrecEval_SameRunTwice_ExitsTwo()
    {
        var run = Path.Combine(Golden, "run.txt");

        var result = await CliInvocation.SearchHost("trec-eval", "--qrels", Path.Combine(Golden, "qrels.txt"), run, run, "--json");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is given twice", result.Error);
    }
}
