using System.Globalization;
using System.Text.Json;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// The sample corpus indexed once by <c>search-host index</c> with the bundled bi-encoder's vectors, and reranker folders
/// (the tiny seeded cross-encoder) whose <c>searchrerank.json</c> carries a tuned <c>fusion</c>: over this index's embedder
/// (dense weight 1 or 0) or over another embedder; and one without settings. Read-only for the tests. Its users are in the Torch
/// collection: building the models draws from the global generator.
/// </summary>
public sealed class TunedFusionFixture : IDisposable
{
    private readonly TempFolder _folder = new("cli-tuned-fusion");

    public TunedFusionFixture()
    {
        Index = _folder.Combine("idx");
        var built = CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", Index).GetAwaiter().GetResult();
        Assert.True(built.ExitCode == 0, built.ToString());
        Bm25Index = _folder.Combine("bm25-idx");
        IndexBuilder.Build(CorpusReader.ReadJsonl(SampleCorpus.Corpus), Bm25Index, new IndexOptions());
        using (var bm25 = Bm25Searcher.Open(Index))
        {
            var vectors = bm25.Manifest.Embeddings!;
            (EmbedderName, EmbedderFingerprint) = (vectors.Model, vectors.Fingerprint);
        }
        Plain = TinyCrossEncoder.Create(seed: 5);
        TunedDense = WithFusion(1.0, EmbedderName, EmbedderFingerprint);
        TunedBm25 = WithFusion(0.0, EmbedderName, EmbedderFingerprint);
        TunedElsewhere = WithFusion(1.0, OtherEmbedder, OtherFingerprint);
    }

    public const string OtherEmbedder = "other-minilm";

    public const string OtherFingerprint = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    public string Index { get; }

    /// <summary>The sample corpus indexed without document vectors (BM25 only).</summary>
    public string Bm25Index { get; }

    /// <summary>The index's embedder as its manifest records it.</summary>
    public string EmbedderName { get; }

    public string EmbedderFingerprint { get; }

    /// <summary>No searchrerank.json: the default fusion (dense weight 0.45).</summary>
    public string Plain { get; }

    /// <summary>fusion: minmax, dense weight 1, over this index's embedder.</summary>
    public string TunedDense { get; }

    /// <summary>fusion: minmax, dense weight 0, over this index's embedder.</summary>
    public string TunedBm25 { get; }

    /// <summary>fusion: minmax, dense weight 1, over another embedder's vectors.</summary>
    public string TunedElsewhere { get; }

    // The tiny model with the file written as rerank-train will write it (the shape RerankerSettings documents).
    private static string WithFusion(double weight, string embedder, string fingerprint)
    {
        var model = TinyCrossEncoder.Create(seed: 5);
        var fusion = new Dictionary<string, object>
        {
            ["method"] = "minmax",
            ["dense_weight"] = weight,
            ["embedder"] = embedder,
            ["embedder_fingerprint"] = fingerprint,
            ["tuned_on"] = "test",
        };
        File.WriteAllText(Path.Combine(model, "searchrerank.json"), JsonSerializer.Serialize(new Dictionary<string, object> { ["fusion"] = fusion }));
        return model;
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary>
/// A reranker's tuned fusion in <c>search</c> and <c>eval</c>: used by the hybrid stage when neither --fusion nor --dense-weight
/// is given, exactly as --dense-weight with its weight ranks; a flag wins; over another embedder's vectors it is refused for
/// hybrid and not applied to the other stages.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TunedFusionTests(TunedFusionFixture f) : IClassFixture<TunedFusionFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-tuned-fusion-runs");

    public void Dispose() => _temp.Dispose();

    private string[] Search(string model, params string[] extra) =>
        ["search", "--index", f.Index, "--reranker", model, "--json", "--top", "10", "--candidates", "10", "--max-length", "48", "--device", "cpu", .. extra, "--", SearchCommandTests.BroadQuery];

    // The hybrid stage's top 10, from the reranked answer: each hit's first-stage rank (the candidates are the top 10 hits).
    private static string[] FirstStageIds(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal("hybrid", json.RootElement.GetProperty("retrieval").GetString());
        var hits = json.RootElement.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, 10), hits.Select(h => h.GetProperty("first_stage_rank").GetInt32()).Order());
        return hits.OrderBy(h => h.GetProperty("first_stage_rank").GetInt32()).Select(h => h.GetProperty("id").GetString()!).ToArray();
    }

    [Fact]
    public async Task Search_ModelWithTunedFusion_RanksHybridAsDenseWeightFlag_AndTheFlagWins()
    {
        var tuned = FirstStageIds(await CliInvocation.SearchHost(Search(f.TunedDense)));
        var flagOne = FirstStageIds(await CliInvocation.SearchHost(Search(f.Plain, "--dense-weight", "1")));
        var defaultWeight = FirstStageIds(await CliInvocation.SearchHost(Search(f.Plain)));
        var flagBesideTuned = FirstStageIds(await CliInvocation.SearchHost(Search(f.TunedDense, "--dense-weight", "0")));
        var flagZero = FirstStageIds(await CliInvocation.SearchHost(Search(f.Plain, "--dense-weight", "0")));
        var dense = await CliInvocation.SearchHost("search", "--index", f.Index, "--no-rerank", "--retrieval", "dense", "--json", "--top", "10", "--device", "cpu", SearchCommandTests.BroadQuery);
        Assert.True(dense.ExitCode == 0, dense.ToString());
        using var denseJson = JsonDocument.Parse(dense.Output);

        Assert.Equal(flagOne, tuned);
        // --json has no "Retrieval:" line: the answer says which fusion ran and whether it was the reranker's.
        var tunedJson = await CliInvocation.SearchHost(Search(f.TunedDense));
        Assert.Equal("""{"method":"minmax","dense_weight":1,"tuned_with_reranker":true}""", System.Text.Json.Nodes.JsonNode.Parse(tunedJson.Output)!["fusion"]!.ToJsonString());
        var rrfJson = await CliInvocation.SearchHost(Search(f.TunedDense, "--fusion", "rrf"));
        Assert.Equal("""{"method":"rrf","rrf_k":60,"tuned_with_reranker":false}""", System.Text.Json.Nodes.JsonNode.Parse(rrfJson.Output)!["fusion"]!.ToJsonString());
        Assert.False(denseJson.RootElement.TryGetProperty("fusion", out _));
        // Weight 1 on min-max normalised dense scores ranks as dense alone (every document is in the dense top 100).
        Assert.Equal(denseJson.RootElement.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetString()!), tuned);
        Assert.NotEqual(defaultWeight, tuned);
        Assert.Equal(flagZero, flagBesideTuned);
        Assert.NotEqual(tuned, flagBesideTuned);
    }

    [Fact]
    public async Task Search_FusionFlagBesideTunedModel_Wins()
    {
        var tunedRrf = FirstStageIds(await CliInvocation.SearchHost(Search(f.TunedDense, "--fusion", "rrf")));
        var plainRrf = FirstStageIds(await CliInvocation.SearchHost(Search(f.Plain, "--fusion", "rrf")));

        Assert.Equal(plainRrf, tunedRrf);
    }

    [Fact]
    public async Task Search_TextOutput_DescribesTheTunedWeight()
    {
        var result = await CliInvocation.SearchHost("search", "--index", f.Index, "--reranker", f.TunedBm25, "--max-length", "48", "--device", "cpu", "--top", "3", SearchCommandTests.BroadQuery);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("min-max fusion, dense weight 0 tuned with the reranker)", result.Error);
    }

    [Fact]
    public async Task Search_TunedOverAnotherEmbedder_Exit2NamingBothEmbedders_ButBm25AndDenseRun()
    {
        var hybrid = await CliInvocation.SearchHost(Search(f.TunedElsewhere));

        Assert.Equal(2, hybrid.ExitCode);
        Assert.Contains($"tuned over vectors of {TunedFusionFixture.OtherEmbedder} ({TunedFusionFixture.OtherFingerprint})", hybrid.Error);
        Assert.Contains($"holds vectors of {f.EmbedderName} ({f.EmbedderFingerprint}; ", hybrid.Error);
        Assert.DoesNotContain("   at ", hybrid.Error);
        foreach (var stage in new[] { "bm25", "dense" })
        {
            var result = await CliInvocation.SearchHost(Search(f.TunedElsewhere, "--retrieval", stage));
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.Output);
            Assert.Equal(stage, json.RootElement.GetProperty("retrieval").GetString());
        }
        // A flag chooses the fusion: nothing tuned is applied, nothing refused.
        Assert.Equal(0, (await CliInvocation.SearchHost(Search(f.TunedElsewhere, "--dense-weight", "0.3"))).ExitCode);
    }

    /// <summary>
    /// The "Retrieval:" line names the hits hybrid appends below its fused top-100 lists when more are asked for (--top 150): the rest of
    /// BM25's and dense's top 150, fused the same way (HybridSearcher.Rank); for a page within the lists it says nothing of them.
    /// </summary>
    [Fact]
    public async Task Search_HybridDeeperThanItsFusedLists_RetrievalLineSaysWhatIsAppended()
    {
        var deep = await CliInvocation.SearchHost("search", "--index", f.Index, "--no-rerank", "--top", "150", "--device", "cpu", "--", SearchCommandTests.BroadQuery);
        var shallow = await CliInvocation.SearchHost("search", "--index", f.Index, "--no-rerank", "--top", "10", "--device", "cpu", "--", SearchCommandTests.BroadQuery);

        Assert.True(deep.ExitCode == 0 && shallow.ExitCode == 0, deep + "\n" + shallow);
        var stage = $"Retrieval: hybrid (BM25 top 100 + dense top 100 by {f.EmbedderName} on onnxruntime fp32, min-max fusion, dense weight 0.45";
        Assert.Equal([stage + "; hits beyond the fused lists: the rest of BM25's and dense's top 150, fused the same way and appended below them)."],
            deep.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal([stage + ")."], shallow.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task FusionFlags_WhereNoStageFuses_RefusedNotIgnored()
    {
        // search --retrieval bm25/dense uses no hybrid stage, so --dense-weight or --fusion would change nothing (QA: they were ignored).
        var bm25 = await CliInvocation.SearchHost("search", "--index", f.Index, "--no-rerank", "--retrieval", "bm25", "--dense-weight", "0.3", "--", SearchCommandTests.BroadQuery);
        Assert.Equal(2, bm25.ExitCode);
        Assert.Equal("error: --dense-weight sets how the hybrid first stage fuses, and --retrieval bm25 was asked for: drop --dense-weight, or use --retrieval hybrid.\n", bm25.Error);
        var dense = await CliInvocation.SearchHost("search", "--index", f.Index, "--no-rerank", "--retrieval", "dense", "--fusion", "minmax", "--dense-weight", "0.3", "--", SearchCommandTests.BroadQuery);
        Assert.Equal(2, dense.ExitCode);
        Assert.StartsWith("error: --fusion and --dense-weight set how the hybrid first stage fuses, and --retrieval dense was asked for", dense.Error);
        // An index without vectors has no hybrid stage anywhere, not even eval's hybrid column.
        var noVectors = await CliInvocation.SearchHost("eval", "--index", f.Bm25Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--fusion", "rrf");
        Assert.Equal(2, noVectors.ExitCode);
        Assert.Equal("error: --fusion sets how the hybrid first stage fuses, and this index has no document vectors, so there is none: drop --fusion, or rebuild the index with vectors.\n", noVectors.Error);
        // eval reports a hybrid column beside --retrieval dense: the flag applies there.
        var evalDense = await CliInvocation.SearchHost("eval", "--index", f.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--retrieval", "dense", "--dense-weight", "0.3", "--json", "--device", "cpu");
        Assert.True(evalDense.ExitCode == 0, evalDense.ToString());
        Assert.Equal(0.3, JsonDocument.Parse(evalDense.Output).RootElement.GetProperty("fusion").GetProperty("dense_weight").GetDouble());
    }

    [Fact]
    public async Task Search_FusionOutOfRangeInSettings_Exit2NamingTheFileAndField()
    {
        var model = TinyCrossEncoder.Create(seed: 5);
        try
        {
            var file = Path.Combine(model, "searchrerank.json");
            var fusion = $$"""{"method": "minmax", "dense_weight": 1.5, "embedder": "{{f.EmbedderName}}", "embedder_fingerprint": "{{f.EmbedderFingerprint}}"}""";
            File.WriteAllText(file, $"{{\"fusion\": {fusion}}}");

            var result = await CliInvocation.SearchHost(Search(model));

            Assert.Equal(2, result.ExitCode);
            Assert.Contains($"{file}: fusion.dense_weight must be between 0 and 1, found 1.5", result.Error);
            Assert.DoesNotContain("   at ", result.Error);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(model)!, recursive: true);
        }
    }

    private string[] Eval(string model, string hybridRun, params string[] extra) =>
        ["eval", "--index", f.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--json", "--device", "cpu",
            "--reranker", model, "--candidates", "20", "--max-length", "48", "--hybrid-run", hybridRun, .. extra];

    // The hybrid run's rankings: (query, document, rank) in file order.
    private static List<(string, string, int)> Rankings(CliResult result, string run)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return RunFiles.ReadAndCheck(run, "hybrid").Select(l => (l.QueryId, l.DocId, l.Rank)).ToList();
    }

    [Fact]
    public async Task Eval_ModelWithTunedFusion_HybridRunAsDenseWeightFlag_AndTheFlagWins()
    {
        string[] runs = [.. Enumerable.Range(0, 4).Select(i => _temp.Combine($"hybrid{i}.run"))];
        var tuned = Rankings(await CliInvocation.SearchHost(Eval(f.TunedBm25, runs[0])), runs[0]);
        var flagZero = Rankings(await CliInvocation.SearchHost(Eval(f.Plain, runs[1], "--dense-weight", "0")), runs[1]);
        var defaultWeight = Rankings(await CliInvocation.SearchHost(Eval(f.Plain, runs[2])), runs[2]);
        var flagBesideTuned = Rankings(await CliInvocation.SearchHost(Eval(f.TunedBm25, runs[3], "--dense-weight", "0.45")), runs[3]);

        Assert.Equal(flagZero, tuned);
        Assert.NotEqual(defaultWeight, tuned);
        Assert.Equal(defaultWeight, flagBesideTuned);
        var tunedJson = await CliInvocation.SearchHost(Eval(f.TunedBm25, _temp.Combine("hybrid-json.run")));
        Assert.Equal("""{"method":"minmax","dense_weight":0,"tuned_with_reranker":true}""", System.Text.Json.Nodes.JsonNode.Parse(tunedJson.Output)!["fusion"]!.ToJsonString());
    }

    [Fact]
    public async Task Eval_TunedOverAnotherEmbedder_Exit2ForHybrid_DenseRunsWithTheDefaultHybridColumn()
    {
        var hybrid = await CliInvocation.SearchHost(Eval(f.TunedElsewhere, _temp.Combine("refused.run")));
        Assert.Equal(2, hybrid.ExitCode);
        Assert.Contains($"tuned over vectors of {TunedFusionFixture.OtherEmbedder} ({TunedFusionFixture.OtherFingerprint})", hybrid.Error);
        Assert.Contains($"holds vectors of {f.EmbedderName} ({f.EmbedderFingerprint}; ", hybrid.Error);
        Assert.False(File.Exists(_temp.Combine("refused.run")));

        string[] runs = [_temp.Combine("dense-stage.run"), _temp.Combine("default.run")];
        var dense = await CliInvocation.SearchHost(Eval(f.TunedElsewhere, runs[0], "--retrieval", "dense"));
        var defaultWeight = Rankings(await CliInvocation.SearchHost(Eval(f.Plain, runs[1], "--retrieval", "dense")), runs[1]);

        Assert.Equal(defaultWeight, Rankings(dense, runs[0]));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"the hybrid stage fuses with min-max, dense weight {HybridOptions.DefaultDenseWeight:0.##} (the default)"), dense.Error);
        var bm25 = await CliInvocation.SearchHost(["eval", "--index", f.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--json", "--device", "cpu",
            "--reranker", f.TunedElsewhere, "--candidates", "20", "--max-length", "48", "--retrieval", "bm25"]);
        Assert.True(bm25.ExitCode == 0, bm25.ToString());
    }
}
