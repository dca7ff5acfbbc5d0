using System.Text.Json;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// <c>search --candidates 3 --top 10</c>: a rescore window smaller than the hits asked for. As with
/// Elasticsearch's window_size, all 10 hits come back: the reranked 3 first, then BM25 hits 4 to 10 in BM25 order.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class RerankWindowTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly string _model = TinyCrossEncoder.Create(seed: 5);

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_model)!, recursive: true);

    [Fact]
    public async Task Search_CandidatesBelowTop_ReturnsTopHitsRerankedWindowFirstThenBm25Order()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--reranker", _model, "--max-length", "48",
            "--candidates", "3", "--top", "10", "--json", SearchCommandTests.BroadQuery);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(Assert.Single(result.OutputLines));
        var hits = json.RootElement.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(10, hits.Count);
        Assert.Equal(Enumerable.Range(1, 10), hits.Select(h => h.GetProperty("rank").GetInt32()));
        Assert.Equal([1, 2, 3], hits.Take(3).Select(h => h.GetProperty("first_stage_rank").GetInt32()).Order());
        Assert.All(hits.Take(3), h => Assert.Equal(JsonValueKind.Number, h.GetProperty("cross_encoder_score").ValueKind));
        Assert.Equal(Enumerable.Range(4, 7), hits.Skip(3).Select(h => h.GetProperty("first_stage_rank").GetInt32()));
        Assert.All(hits.Skip(3), h => Assert.Equal(JsonValueKind.Null, h.GetProperty("cross_encoder_score").ValueKind));
        Assert.All(hits.Skip(3), h => Assert.Equal((float)h.GetProperty("first_stage_score").GetDouble(), (float)h.GetProperty("score").GetDouble()));
        using var searcher = Bm25Searcher.Open(sample.Index);
        Assert.Equal(searcher.Search(SearchCommandTests.BroadQuery, 10).Skip(3).Select(h => h.DocId), hits.Skip(3).Select(h => h.GetProperty("id").GetString()));
        Assert.Equal("Note: --candidates 3 is below --top 10: the first stage's top 3 are reranked and hits 4 to 10 follow in first-stage order with their first-stage scores " +
            "(as Elasticsearch's rescore window_size). Raise --candidates to 10 or more to rerank every hit shown.\n", result.Error);
    }

    [Fact]
    public async Task Search_CandidatesBelowTopAsTable_MarksHitsBelowTheWindow()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--reranker", _model, "--max-length", "48",
            "--candidates", "2", "--top", "4", SearchCommandTests.BroadQuery);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Replace(result.Output, @"\s+", "").Split("notreranked").Length - 1);
        // Without --json the engine the reranker runs on is said first (the CPU default: ONNX Runtime fp32).
        Assert.StartsWith("Reranker engine: onnxruntime fp32 on cpu (auto: ", result.Error);
    }

    [Fact]
    public async Task Demo_CandidatesBelowFive_ShowsFiveRerankedColumnRowsMarkingThoseBelowTheWindow()
    {
        using var temp = new TempFolder("demo-window");

        var result = await CliInvocation.SearchHost("demo", "--corpus", SampleCorpus.Folder, "--index", temp.Combine("idx"), "--queries", "1",
            "--reranker", _model, "--candidates", "2", "--device", "cpu");

        Assert.True(result.ExitCode == 0, result.ToString());
        // The table wraps long cells: compare without whitespace.
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Replace(result.Output, @"\s+", "").Split("notreranked)").Length - 1);
        // The note ends standard error; before it, a slow machine may print progress lines of the indexing (every few seconds).
        Assert.EndsWith("Note: --candidates 2 is below the 5 hits shown per query: the first stage's top 2 are reranked and hits 3 to 5 follow in first-stage order " +
            "with their first-stage scores (as Elasticsearch's rescore window_size). Raise --candidates to 5 or more to rerank every hit shown.\n", result.Error);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(result.Error, "Note: "));
    }
}
