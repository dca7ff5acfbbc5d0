using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Reranking;

[Collection(TorchCollection.Name)]
public sealed class RerankerSettingsTests
{
    [Fact]
    public void RerankingSearcher_ModelRecommendsInterpolate_UsesItUnlessTheCallerSetsAMode()
    {
        var folder = TinyCrossEncoder.Create();
        new RerankerSettings(InterpolationWeight: 0.3, ScoreMode: "interpolate").Write(folder);
        using var encoder = CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu" });
        using var bm25 = OpenSampleIndex(out var dir);

        var recommended = new RerankingSearcher(bm25, encoder);
        var explicitReplace = new RerankingSearcher(bm25, encoder, new RerankOptions { ScoreMode = ScoreMode.Replace });

        Assert.Equal(ScoreMode.Interpolate, recommended.ScoreMode);
        Assert.Equal(0.3, recommended.Weight);
        Assert.Equal(ScoreMode.Replace, explicitReplace.ScoreMode);
        // In interpolate mode the final score is 0.3 * minmax(CE) + 0.7 * minmax(BM25): the BM25 top hit
        // keeps at least 0.7 + 0.3 * its normalised CE score, so no hit can exceed 1.
        var hits = recommended.Search("how do vaccines work", 5);
        Assert.All(hits, h => Assert.InRange(h.Score, 0, 1));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void FirstStageWeights_ChosenByTheFirstStageTheirOwnElseTheGeneralWeight()
    {
        var folder = TinyCrossEncoder.Create();
        File.WriteAllText(Path.Combine(folder, RerankerSettings.FileName),
            "{\"interpolation_weight\": 0.2, \"score_mode\": \"interpolate\", \"first_stage_weights\": {\"hybrid\": 0.65}}");
        var settings = RerankerSettings.Read(folder);
        using var encoder = CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu" });
        using var bm25 = OpenSampleIndex(out var dir);

        Assert.Equal(0.65, settings.WeightFor("hybrid"));
        Assert.Equal(0.2, settings.WeightFor("bm25"));
        Assert.Equal(0.2, settings.WeightFor("dense"));
        Assert.Equal(0.2, new RerankingSearcher(bm25, encoder).Weight);
        Assert.Equal(0.5, new RerankingSearcher(bm25, encoder, new RerankOptions { InterpolationWeight = 0.5 }).Weight);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Read_FirstStageWeightOutOfRange_Refused()
    {
        var folder = TinyCrossEncoder.Create();
        File.WriteAllText(Path.Combine(folder, RerankerSettings.FileName), "{\"first_stage_weights\": {\"hybrid\": 1.5}}");

        var e = Assert.Throws<InvalidInputException>(() => RerankerSettings.Read(folder));

        Assert.Contains("first_stage_weights must be between 0 and 1", e.Message);
    }

    [Fact]
    public void Fusion_WrittenAndRead_KeepsItsFieldsUnderTheirJsonNames()
    {
        var folder = TinyCrossEncoder.Create();
        new RerankerSettings(Fusion: new FusionSettings("minmax", 0.65, "all-MiniLM-L6-v2", "abc123", "cranfield: 150 queries")).Write(folder);

        var json = File.ReadAllText(Path.Combine(folder, RerankerSettings.FileName));
        var read = RerankerSettings.Read(folder).Fusion!;

        Assert.Contains("\"fusion\": {", json);
        Assert.Contains("\"dense_weight\": 0.65", json);
        Assert.Contains("\"embedder_fingerprint\": \"abc123\"", json);
        Assert.Equal(new FusionSettings("minmax", 0.65, "all-MiniLM-L6-v2", "abc123", "cranfield: 150 queries"), read);
        Assert.Equal((FusionMethod.WeightedMinMax, 0.65), (read.ToHybridOptions().Method, read.ToHybridOptions().DenseWeight));
    }

    [Theory]
    [InlineData("{\"method\": \"rrf\", \"dense_weight\": 0.5, \"embedder\": \"m\", \"embedder_fingerprint\": \"f\"}", "fusion.method must be \"minmax\", found \"rrf\"")]
    [InlineData("{\"method\": \"minmax\", \"dense_weight\": 1.2, \"embedder\": \"m\", \"embedder_fingerprint\": \"f\"}", "fusion.dense_weight must be between 0 and 1, found 1.2")]
    [InlineData("{\"method\": \"minmax\", \"dense_weight\": 0.5, \"embedder\": \"m\", \"embedder_fingerprint\": \"\"}", "fusion needs embedder and embedder_fingerprint")]
    public void Read_BadFusion_RefusedNamingTheField(string fusion, string expected)
    {
        var folder = TinyCrossEncoder.Create();
        File.WriteAllText(Path.Combine(folder, RerankerSettings.FileName), "{\"fusion\": " + fusion + "}");

        var e = Assert.Throws<InvalidInputException>(() => RerankerSettings.Read(folder));

        Assert.Equal($"{Path.Combine(folder, RerankerSettings.FileName)}: {expected}" + (expected.StartsWith("fusion needs") ? " (the index vectors it was tuned over)" : "") + ". Fix it (rerank-train writes it), or delete the \"fusion\" key to use the default fusion.", e.Message);
    }

    [Theory]
    [InlineData("{\"method\": \"minmax\", \"embedder\": \"m\", \"embedder_fingerprint\": \"f\"}", "fusion.dense_weight is missing.")]
    [InlineData("{\"method\": \"minmax\", \"dense_wieght\": 0.7, \"embedder\": \"m\", \"embedder_fingerprint\": \"f\"}", "fusion has an unknown key \"dense_wieght\"; its keys are method, dense_weight, embedder, embedder_fingerprint, tuned_on, embedder_vectors.")]
    [InlineData("{\"method\": \"minmax\", \"dense_weight\": \"0.5\", \"embedder\": \"m\", \"embedder_fingerprint\": \"f\"}", "fusion.dense_weight must be a number, found the string \"0.5\".")]
    [InlineData("{\"method\": \"minmax\", \"dense_weight\": 0.5, \"embedder\": \"m\", \"embedder_fingerprint\": 5}", "fusion.embedder_fingerprint must be a string, found the number 5.")]
    [InlineData("{}", "fusion.method is missing.")]
    [InlineData("null", "fusion must be an object like {\"method\": \"minmax\", \"dense_weight\": 0.45, \"embedder\": ..., \"embedder_fingerprint\": ...}, found null.")]
    [InlineData("[0.5]", "found an array.")]
    public void Read_FusionOfTheWrongShape_RefusedNamingTheFieldNotAsInvalidJson(string fusion, string expected)
    {
        var folder = TinyCrossEncoder.Create();
        File.WriteAllText(Path.Combine(folder, RerankerSettings.FileName), "{\"interpolation_weight\": 0.2, \"fusion\": " + fusion + "}");

        var e = Assert.Throws<InvalidInputException>(() => RerankerSettings.Read(folder));

        Assert.StartsWith($"{Path.Combine(folder, RerankerSettings.FileName)}: ", e.Message);
        Assert.Contains(expected + " Fix it (rerank-train writes it), or delete the \"fusion\" key to use the default fusion.", e.Message);
        Assert.DoesNotContain("invalid JSON", e.Message);
    }

    /// <summary>
    /// A value of the wrong JSON kind is named with its key, what it must be and what was found, not with System.Text.Json's
    /// converter text ("The JSON value could not be converted to Rerank.Lucene.Reranking.PassageOptions. Path: $.passages.select ...", QA).
    /// </summary>
    [Theory]
    [InlineData("{\"passages\": {\"mode\": \"max\", \"select\": \"x\"}}", "passages.select must be a whole number (windows scored per document), found the string \"x\".")]
    [InlineData("{\"passages\": {\"mode\": \"max\", \"words\": 64.5}}", "passages.words must be a whole number (words per window), found the number 64.5.")]
    [InlineData("{\"passages\": {\"mode\": \"best\"}}", "passages.mode must be \"first\", \"max\" or \"sum\", found the string \"best\".")]
    [InlineData("{\"passages\": \"max\"}", "passages must be an object like {\"mode\": \"max\", \"words\": 64, \"stride\": 32}, found the string \"max\".")]
    [InlineData("{\"max_length\": 1.5}", "max_length must be a whole number (tokens per pair), found the number 1.5.")]
    [InlineData("{\"interpolation_weight\": \"0.2\"}", "interpolation_weight must be a number from 0 to 1, found the string \"0.2\".")]
    [InlineData("{\"first_stage_weights\": {\"hybrid\": true}}", "first_stage_weights.hybrid must be a number from 0 to 1, found a boolean.")]
    [InlineData("{\"score_mode\": 1}", "score_mode must be \"replace\" or \"interpolate\", found the number 1.")]
    [InlineData("[0.2]", "expected a JSON object like {\"interpolation_weight\": 0.6}, found an array.")]
    public void Read_ValueOfTheWrongKind_RefusedNamingTheKeyAndTheKindExpected(string json, string expected)
    {
        var folder = TinyCrossEncoder.Create();
        var file = Path.Combine(folder, RerankerSettings.FileName);
        File.WriteAllText(file, json);

        var e = Assert.Throws<InvalidInputException>(() => RerankerSettings.Read(folder));

        Assert.Equal($"{file}: {expected} Fix or delete the file.", e.Message);
    }

    [Fact]
    public void Read_UnknownScoreMode_Refused()
    {
        var folder = TinyCrossEncoder.Create();
        File.WriteAllText(Path.Combine(folder, RerankerSettings.FileName), "{\"score_mode\": \"blend\", \"interpolation_weight\": 0.5}");

        var e = Assert.Throws<InvalidInputException>(() => RerankerSettings.Read(folder));

        Assert.Equal($"{Path.Combine(folder, RerankerSettings.FileName)}: score_mode must be \"replace\" or \"interpolate\", found \"blend\". Fix or delete the file.", e.Message);
    }

    [Fact]
    public void Read_InterpolateWithoutWeight_Refused()
    {
        var folder = TinyCrossEncoder.Create();
        File.WriteAllText(Path.Combine(folder, RerankerSettings.FileName), "{\"score_mode\": \"interpolate\"}");

        var e = Assert.Throws<InvalidInputException>(() => RerankerSettings.Read(folder));

        Assert.Equal($"{Path.Combine(folder, RerankerSettings.FileName)}: score_mode \"interpolate\" needs an interpolation_weight. Add one or delete the file.", e.Message);
    }

    private static Bm25Searcher OpenSampleIndex(out string dir)
    {
        dir = TestPaths.NewTempDir("settings");
        var index = Path.Combine(dir, "idx");
        Rerank.Lucene.Indexing.IndexBuilder.Build(
            Rerank.Lucene.Indexing.CorpusReader.ReadJsonl(Path.Combine(TestPaths.RepoRoot, "corpora", "sample", "corpus.jsonl")),
            index, new Rerank.Lucene.Indexing.IndexOptions());
        return Bm25Searcher.Open(index);
    }
    [Fact]
    public void FusionVectorsOf_SaysHowTheVectorsWereMade()
    {
        var passages = new Rerank.Lucene.Embedding.EmbeddingInfo("m", "bundled", "sha256:f", 384, "mean", true, 256, 20, "embeddings.f32", "float32-le", 1.0,
            Passages: new Rerank.Lucene.Embedding.PassageEmbedding(128, 64, "max", 10, "embeddings.passages.i32"));
        var whole = passages with { Pooling = "cls", Normalized = false, MaxLength = 128, Passages = null };

        Assert.Equal("mean pooling, normalised, max 256 tokens, max over 128-word passages (stride 64)", FusionSettings.VectorsOf(passages));
        Assert.Equal("cls pooling, not normalised, max 128 tokens, whole documents", FusionSettings.VectorsOf(whole));
        // Matches: the fingerprint, and how the vectors were made when the settings record it (files written before it do not).
        var tuned = new FusionSettings(FusionSettings.MinMax, 0.5, "m", "sha256:f", null, FusionSettings.VectorsOf(passages));
        Assert.True(tuned.Matches(passages));
        Assert.False(tuned.Matches(whole));
        Assert.False(tuned.Matches(passages with { Fingerprint = "sha256:g" }));
        Assert.True((tuned with { EmbedderVectors = null }).Matches(whole));
    }
}
