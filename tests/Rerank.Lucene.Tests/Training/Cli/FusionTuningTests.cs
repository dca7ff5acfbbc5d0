using System.Text.Json;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;
using Rerank.Training.Cli;
using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Cli;

/// <summary>
/// rerank-train tunes the hybrid stage's dense weight on the index's judged queries by cross-fitting, keeps it only when it
/// beats the start's weight beyond noise, and stores it with the model (searchrerank.json "fusion").
/// </summary>
public sealed class FusionTuningTests
{
    private static FusionStudy Study(double[] weights, params double[][] perWeight) =>
        new(Enumerable.Range(1, perWeight[0].Length).Select(i => $"q{i:00}").ToList(), weights, perWeight);

    [Fact]
    public void Decide_EveryQueryBetterAtAnotherWeight_KeepsIt_WithTheExactRandomizationP()
    {
        // 10 queries, each 0.8 at weight 1.0 and 0.5 at the start's 0.45: every fold picks 1.0, all ten differences are +0.3,
        // and the exact two-sided test gives p = 2 / 2^10 (only the all-plus and all-minus sign assignments reach |sum|).
        var study = Study([0.0, 0.45, 1.0], Enumerable.Repeat(0.2, 10).ToArray(), Enumerable.Repeat(0.5, 10).ToArray(), Enumerable.Repeat(0.8, 10).ToArray());

        var decision = FusionTuning.Decide(study, 0.45, seed: 42);

        Assert.True(decision.Kept);
        Assert.Equal(1.0, decision.TunedWeight);
        Assert.Equal(1.0, decision.Chosen);
        Assert.Equal(Enumerable.Repeat(1.0, 5), decision.FoldWeights);
        Assert.Equal(0.3, decision.Delta, 12);
        Assert.Equal(2.0 / 1024, decision.P, 12);
        Assert.Contains("Kept: dense weight 1 (tuned on all 10 queries)", decision.Describe());
    }

    [Fact]
    public void Decide_AWeightBestOnlyOnTheQueryItWasTunedOn_IsNotKept()
    {
        // Query i scores 1.0 at its own weight and 0.5 at every other; the start's 0.45 gives 0.55 everywhere. Tuned on all
        // five queries, any of those weights looks better than the start (mean 0.6 > 0.55): that is the leak cross-fitting
        // removes. Each query's fold is the query alone, ranked at a weight tuned on the other four: never its own, so 0.5.
        double[] weights = [0.1, 0.2, 0.3, 0.45, 0.6, 0.8];
        double[] Own(int query) => Enumerable.Range(0, 5).Select(i => i == query ? 1.0 : 0.5).ToArray();
        var study = Study(weights, Own(0), Own(1), Own(2), Enumerable.Repeat(0.55, 5).ToArray(), Own(3), Own(4));

        var decision = FusionTuning.Decide(study, 0.45, seed: 42);

        Assert.False(decision.Kept);
        Assert.Equal(Enumerable.Repeat(0.5, 5), decision.CrossFitted);
        Assert.Equal(-0.05, decision.Delta, 12);
        Assert.Equal(0.45, decision.Chosen);
        // On all five queries the tie (0.6 at five weights) goes to the one nearest the start's 0.45: 0.3 and 0.6 are 0.15 away, the smaller wins.
        Assert.Equal(0.3, decision.TunedWeight);
        Assert.Contains("Not kept (kept when higher and p < 0.05): the start's dense weight 0.45 stays.", decision.Describe());
    }

    [Fact]
    public void Decide_AllWeightsEqual_KeepsTheStartsWeightWithoutAChange()
    {
        var flat = Enumerable.Repeat(0.7, 8).ToArray();
        var decision = FusionTuning.Decide(Study([0.0, 0.45, 0.5, 1.0], flat, flat, flat, flat), 0.5, seed: 1);

        Assert.Equal(0.5, decision.TunedWeight);
        Assert.Equal(Enumerable.Repeat(0.5, 5), decision.FoldWeights);
        Assert.False(decision.Kept);
        Assert.Equal(0.0, decision.Delta, 12);
    }

    [Fact]
    public void Measure_PoolsThePositivesOfAQuerysGroups_AndScoresTheFusionAsHybridRanksIt()
    {
        // Two mined rows of one query (one positive each) are one judged query with both positives.
        using var folder = new TempFolder("fusion-measure");
        var index = folder.Combine("idx");
        using var encoder = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu" });
        IndexBuilder.Build(
        [
            new CorpusDocument("a", "", "Tides follow the moon."),
            new CorpusDocument("b", "", "The moon pulls the oceans."),
            new CorpusDocument("c", "", "Bread dough rises with yeast."),
        ], index, new IndexOptions(Embedder: encoder));
        using var bm25 = Bm25Searcher.Open(index);
        var dense = new DenseSearcher(bm25, encoder);
        TrainingDocument Doc(string id) => new(id, "");
        TrainingGroup[] groups = [new("q", "why do tides follow the moon", [Doc("a")], []), new("q", "why do tides follow the moon", [Doc("b")], [])];

        var study = FusionTuning.Measure(bm25, dense, 100, groups, 0.45, CancellationToken.None);

        Assert.Equal(["q"], study.QueryIds);
        Assert.Equal(FusionTuning.Grid, study.Weights);
        // Reference: nDCG@10 by hand from HybridSearcher's own ranking at each weight (both a and b relevant, ideal DCG 1 + 1/log2(3)).
        foreach (var weight in study.Weights)
        {
            var ranking = new HybridSearcher(bm25, dense, new HybridOptions { DenseWeight = weight }).Rank("why do tides follow the moon", 100).Select(d => d.DocId).ToList();
            var dcg = ranking.Select((id, i) => id is "a" or "b" ? 1 / Math.Log2(i + 2) : 0).Sum();
            Assert.Equal(dcg / (1 + 1 / Math.Log2(3)), study.At(weight)[0], 9);
        }
    }
}

/// <summary>The tuning end to end: rerank-train on an index where the starting model's stored fusion is far off.</summary>
[Collection(TorchCollection.Name)]
public sealed class FusionTuningCommandTests(TinyTrainingRunFixture run) : IClassFixture<TinyTrainingRunFixture>
{
    // Each query names a ledger code and a topic. Its one relevant document holds the code and nothing about the topic;
    // two others are about the topic without naming it. BM25 matches the code alone, so it ranks the relevant document
    // first (and only); the bi-encoder follows the topic. With min-max fusion the relevant document scores at least 1 - w
    // and a topic document at most w, so every weight up to 0.5 ranks it first, and a weight of 1 ranks the topic's first.
    private static readonly string[] Topics = ["rainfall", "volcano", "chess", "violin", "bicycle", "coffee", "glacier", "tennis", "pottery", "satellite"];

    private static readonly string[][] AboutTopics =
    [
        ["Storms bring heavy rain and wet weather to the hills.", "Umbrellas are needed when showers and drizzle soak the streets."],
        ["Lava and ash erupted from the mountain crater.", "Magma rises beneath the peak before an eruption."],
        ["The grandmaster moved her knight and threatened checkmate.", "Pawns, bishops and rooks stand on a board of 64 squares."],
        ["The orchestra's string section played with bows on their fiddles.", "A luthier carved the instrument's spruce top and tuned its four strings."],
        ["Cyclists pedal along the lane on two wheels.", "He fixed the chain and pumped the tyres of his bike."],
        ["Espresso beans are roasted and ground for a morning brew.", "A barista poured a latte with steamed milk."],
        ["Slow rivers of ice carve valleys in the mountains.", "The ice sheet is melting and calving into the sea."],
        ["The player served an ace and won the set at Wimbledon.", "Rackets, nets and a fuzzy yellow ball on a grass court."],
        ["Clay is shaped on a wheel and fired in a kiln.", "The ceramic vase was glazed before the second firing."],
        ["The spacecraft circles the Earth and relays signals.", "A rocket launched the communications probe into orbit."],
    ];

    private static string Query(int i) => $"zx{i}q{7 * i + 3} {Topics[i]}";

    private static readonly Lazy<(string Index, string Queries, string Qrels)> CodeCorpus = new(() =>
    {
        var folder = TestPaths.NewTempDir("fusion-code-corpus");
        var documents = new List<CorpusDocument>();
        var queries = new List<string>();
        var qrels = new List<string> { "query-id\tcorpus-id\tscore" };
        for (var i = 0; i < Topics.Length; i++)
        {
            documents.Add(new CorpusDocument($"ledger-{i}", "", $"Ledger entry {Query(i).Split(' ')[0]}: spare parts counted in the warehouse."));
            documents.Add(new CorpusDocument($"{Topics[i]}-1", "", AboutTopics[i][0]));
            documents.Add(new CorpusDocument($"{Topics[i]}-2", "", AboutTopics[i][1]));
            queries.Add(JsonSerializer.Serialize(new { _id = $"q{i}", text = Query(i) }));
            qrels.Add($"q{i}\tledger-{i}\t1");
        }
        var index = Path.Combine(folder, "idx");
        using (var encoder = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu" }))
            IndexBuilder.Build(documents, index, new IndexOptions(Embedder: encoder));
        File.WriteAllLines(Path.Combine(folder, "queries.jsonl"), queries);
        File.WriteAllLines(Path.Combine(folder, "qrels.tsv"), qrels);
        return (index, Path.Combine(folder, "queries.jsonl"), Path.Combine(folder, "qrels.tsv"));
    });

    private string StartWithFusion(string name, FusionSettings fusion)
    {
        var start = Path.Combine(TestPaths.NewTempDir(name), "start");
        Directory.CreateDirectory(start);
        foreach (var file in Directory.GetFiles(run.Base)) File.Copy(file, Path.Combine(start, Path.GetFileName(file)));
        new RerankerSettings(Fusion: fusion).Write(start);
        return start;
    }

    private static string[] Args(string start, string output) =>
    [
        "--index", CodeCorpus.Value.Index, "--queries", CodeCorpus.Value.Queries, "--qrels", CodeCorpus.Value.Qrels, "--output", output, "--base", start,
        "--max-steps", "1", "--batch-size", "2", "--max-length", "32", "--dev-fraction", "0.3", "--dev-candidates", "5", "--candidates", "5",
        "--device", "cpu", "--threads", "1",
    ];

    [Fact]
    public async Task Train_StartsFromTheBasesFusion_KeepsAWeightThatBeatsItBeyondNoise_AndStoresItWithTheModel()
    {
        var (index, _, _) = CodeCorpus.Value;
        EmbeddingInfo vectors;
        string source;
        // The premise, from the hybrid stage as search-host ranks it: at dense weight 0.2 every relevant document is first,
        // at 1 most are not.
        using (var bm25 = Bm25Searcher.Open(index))
        using (var encoder = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu" }))
        {
            (vectors, source) = (bm25.Manifest.Embeddings!, bm25.Manifest.Source);
            var dense = new DenseSearcher(bm25, encoder);
            int Rank(double w, int i) => new HybridSearcher(bm25, dense, new HybridOptions { DenseWeight = w }).Rank(Query(i), 100).ToList().FindIndex(d => d.DocId == $"ledger-{i}");
            Assert.All(Enumerable.Range(0, Topics.Length), i => Assert.Equal(0, Rank(0.2, i)));
            Assert.True(Enumerable.Range(0, Topics.Length).Count(i => Rank(1.0, i) > 0) >= 8, "the bi-encoder alone should rank the topic's documents first");
        }
        var start = StartWithFusion("fusion-start", new FusionSettings(FusionSettings.MinMax, 1.0, vectors.Model, vectors.Fingerprint, "a test"));
        using var folder = new TempFolder("fusion-train");
        var output = folder.Combine("model");

        // A separate process: the log lines go to its standard error.
        using var result = ChildProcess.RerankTrain(null, Args(start, output));
        var code = await result.WaitForExit(seconds: 180);

        Assert.True(code == 0, result.ToString());
        Assert.Contains("min-max fusion, dense weight 1 tuned with the reranker", result.Error);
        Assert.Contains("Fusion: hybrid first stage, nDCG@10 over 10 judged queries of this index: dense weight 1 (the start)", result.Error);
        Assert.Contains("First stage for validation and the comparison with the starting model: hybrid with dense weight", result.Error);
        var fusion = RerankerSettings.Read(output).Fusion!;
        Assert.Equal((vectors.Model, vectors.Fingerprint, FusionSettings.MinMax), (fusion.Embedder, fusion.EmbedderFingerprint, fusion.Method));
        // How the vectors were made, recorded beside the weights' fingerprint (the index's manifest says the same in its own fields).
        Assert.Equal($"{vectors.Pooling} pooling, {(vectors.Normalized ? "normalised" : "not normalised")}, max {vectors.MaxLength} tokens, "
            + (vectors.Passages is { } p ? $"max over {p.Words}-word passages (stride {p.Stride})" : "whole documents"), fusion.EmbedderVectors);
        Assert.InRange(fusion.DenseWeight, 0.5, 0.95);
        Assert.StartsWith($"rerank-train on {source}: 10 judged queries, 5-fold cross-fitted", fusion.TunedOn);
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.Contains("## Hybrid fusion (first stage)", card);
        // One update of a tiny model does not beat the start: it is kept, and its card says what did change.
        Assert.StartsWith("# Starting model kept\n\n(Its hybrid fusion weight was re-tuned and changed: see \"Hybrid fusion\" below. The cross-encoder's weights are the starting ones.)\n\n", card);
        Assert.Matches(@"paired randomization test p = 0\.0[0-4][0-9]\. Kept: dense weight", card);
        // Every weight up to 0.5 ranks each relevant document first (above), so the tuned weight can only be above 0.5 when it
        // ties with them; ties go to the weight nearest the start's 1.
    }

    [Fact]
    public async Task Train_BaseFusionOfAnotherEmbedder_StartsFromTheDefault_AndIsNotCarriedIntoTheOutput()
    {
        var start = StartWithFusion("fusion-other-embedder", new FusionSettings(FusionSettings.MinMax, 0.9, "another-model", "00ff", "elsewhere"));
        using var folder = new TempFolder("fusion-other-out");
        var output = folder.Combine("model");

        using var result = ChildProcess.RerankTrain(null, Args(start, output));
        var code = await result.WaitForExit(seconds: 180);

        Assert.True(code == 0, result.ToString());
        Assert.Contains("The starting model's fusion (dense weight 0.9) was tuned over vectors of another-model (00ff)", result.Error);
        Assert.Contains("min-max fusion, dense weight 0.45)", result.Error);
        Assert.Contains("dense weight 0.45 (the start)", result.Error);
        Assert.NotEqual("00ff", RerankerSettings.Read(output).Fusion?.EmbedderFingerprint);
    }

    [Fact]
    public async Task Train_Bm25FirstStage_NeitherUsesNorTunesTheBasesFusion_AndCarriesItAsItWas()
    {
        var start = StartWithFusion("fusion-bm25", new FusionSettings(FusionSettings.MinMax, 0.9, "another-model", "00ff", "elsewhere"));
        using var folder = new TempFolder("fusion-bm25-out");
        var output = folder.Combine("model");
        var args = run.Args(output).ToList();
        args[args.IndexOf("--base") + 1] = start;

        using var result = ChildProcess.RerankTrain(null, [.. args]);
        var code = await result.WaitForExit(seconds: 180);

        Assert.True(code == 0, result.ToString());
        Assert.Contains("First stage for mining and validation: bm25", result.Error);
        Assert.DoesNotContain("Fusion:", result.Error);
        Assert.Equal(new FusionSettings(FusionSettings.MinMax, 0.9, "another-model", "00ff", "elsewhere"), RerankerSettings.Read(output).Fusion);
        Assert.Contains("Not tuned: the first stage was bm25 (the index has no document vectors), with no fusion to tune. " +
            "The starting model's fusion (dense weight 0.9, tuned over vectors of another-model) is carried unchanged", File.ReadAllText(Path.Combine(output, "README.md")));
    }

    [Fact]
    public async Task Resume_CrossValidationAfterTheBasesFusionChanged_RefusedNamingTheWeightNegativesWereMinedAt()
    {
        var (index, _, _) = CodeCorpus.Value;
        EmbeddingInfo vectors;
        using (var bm25 = Bm25Searcher.Open(index)) vectors = bm25.Manifest.Embeddings!;
        var start = StartWithFusion("fusion-resume", new FusionSettings(FusionSettings.MinMax, 1.0, vectors.Model, vectors.Fingerprint, "a test"));
        using var folder = new TempFolder("fusion-resume-out");
        var output = folder.Combine("model");
        // No --dev-fraction: 10 queries would hold out 1, so the run cross-validates (5 folds).
        var args = Args(start, output).ToList();
        foreach (var option in new[] { "--dev-fraction", "--dev-candidates" }) args.RemoveRange(args.IndexOf(option), 2);
        using var cancel = new CancellationTokenSource();
        TrainCommand.StageHook.Value = (stage, _) => { if (stage == "cross-validation fold 1 done") cancel.Cancel(); };
        CliResult cancelled;
        try
        {
            cancelled = await CliInvocation.RerankTrain(new StringWriter { NewLine = "\n" }, cancel.Token, [.. args]);
        }
        finally
        {
            TrainCommand.StageHook.Value = null;
        }
        Assert.True(cancelled.ExitCode == 130, cancelled.ToString());
        new RerankerSettings(Fusion: new FusionSettings(FusionSettings.MinMax, 0.6, vectors.Model, vectors.Fingerprint, "edited")).Write(start);

        var resumed = await CliInvocation.RerankTrain([.. args, "--resume"]);

        Assert.True(resumed.ExitCode == 2, resumed.ToString());
        Assert.Contains("was started with \"negatives mined at dense weight 1\" (now \"negatives mined at dense weight 0.6\")", resumed.Error);
        Assert.True(File.Exists(Path.Combine(output + "-checkpoints", "cross-validation", "fold-0.scores.json")));
    }
}
