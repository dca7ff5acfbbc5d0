using Rerank.Lucene.Embedding;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tokenization;
using Rerank.Training.Data;
using Rerank.Training.Embedding;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Training.Embedding;

[Collection(TorchCollection.Name)]
public sealed class BiEncoderTrainerTests
{
    private static readonly string[] Words =
    [
        "protein", "folding", "solar", "panels", "river", "delta", "jazz", "piano", "tax", "law", "coral", "reef",
        "what", "about", "is", "studied", "here", "and", "matters", "described", "at", "length",
    ];

    private static readonly string[] Topics = ["protein folding", "solar panels", "river delta", "jazz piano", "tax law", "coral reef"];

    /// <summary>A randomly initialised 2-layer BERT (hidden 32) over a 27-token vocabulary, mean pooling, normalised.</summary>
    private static TrainableBiEncoder Tiny(int seed = 3)
    {
        manual_seed(seed);
        var vocab = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Words).ToArray();
        var config = BertConfig.Parse(
            $$"""{"model_type":"bert","vocab_size":{{vocab.Length}},"hidden_size":32,"num_hidden_layers":2,"num_attention_heads":2,"intermediate_size":64,"max_position_embeddings":64,"type_vocab_size":2,"hidden_act":"gelu","pad_token_id":0}""",
            "tiny config");
        var tokenizer = BertPairEncoder.FromTokens(vocab, new BertEncoderOptions { MaxPositions = 64 });
        return new TrainableBiEncoder(new BertModel(config), tokenizer, PoolingMode.Mean, normalize: true, maxSeqLength: 32, CPU);
    }

    /// <summary>Query i asks about topic i; its positive repeats the topic, its negative is another topic's text.</summary>
    private static List<BiEncoderTrainingRow> ToyRows() =>
        Topics.Select((t, i) => new BiEncoderTrainingRow($"q{i}", $"what about {t}",
            new TrainingDocument($"d{i}", $"{t} is studied here and {t} matters"),
            new TrainingDocument($"n{i}", $"{Topics[(i + 2) % Topics.Length]} is described at length"))).ToList();

    private static BiEncoderTrainingOptions ToyOptions => new()
    {
        LearningRate = 1e-3, BatchSize = 3, Epochs = 10, WarmupRatio = 0.1, QueryMaxLength = 16, PassageMaxLength = 32, Seed = 5,
    };

    [Fact]
    public void Train_FewStepsOnToySet_LowersTheLoss()
    {
        using var encoder = Tiny();
        var rows = ToyRows();
        var before = BiEncoderTrainer.Evaluate(encoder, rows, ToyOptions);
        var steps = new List<BiEncoderTrainingProgress>();
        var result = BiEncoderTrainer.Train(encoder, rows, ToyOptions, new SyncProgress(steps.Add));
        var after = BiEncoderTrainer.Evaluate(encoder, rows, ToyOptions);

        // 6 rows in batches of 3 -> 2 updates per epoch, 10 epochs -> 20 updates, ceil(20 * 0.1) = 2 of warmup.
        Assert.Equal(20, result.Losses.Count);
        Assert.Equal(2, result.WarmupSteps);
        Assert.Equal(Enumerable.Range(1, 20), steps.Select(s => s.Step));
        Assert.Equal(0.0, steps[0].LearningRate);
        Assert.Equal(1e-3, steps[2].LearningRate, 1e-12);
        // Over all 6 rows (11 negatives each) a random encoder scores about ln(12) = 2.48; training must bring it well below.
        Assert.True(after < 0.5 * before, $"loss {before:F4} -> {after:F4}");
        Assert.False(encoder.Model.training);
    }

    [Fact]
    public void Train_Cancelled_StopsBeforeTheFirstUpdate()
    {
        using var encoder = Tiny();
        var weights = encoder.Model.ExportWeights();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => BiEncoderTrainer.Train(encoder, ToyRows(), ToyOptions, ct: cts.Token));
        var after = encoder.Model.ExportWeights();
        Assert.All(weights, kv => Assert.Equal(kv.Value.Values, after[kv.Key].Values));
    }

    [Fact]
    public void Train_PassageLengthAboveTheEmbeddersMaxSeqLength_IsRefused()
    {
        using var encoder = Tiny();
        var e = Assert.Throws<InvalidInputException>(() => BiEncoderTrainer.Train(encoder, ToyRows(), ToyOptions with { PassageMaxLength = 48 }));
        Assert.Equal("Max lengths 16 (queries) and 48 (documents) must not exceed the embedder's max_seq_length 32, the length it embeds at search time.", e.Message);
    }

    [Fact]
    public void Save_ThenLibraryBiEncoderLoad_EmbedsAsTheTrainedModel()
    {
        using var encoder = Tiny();
        BiEncoderTrainer.Train(encoder, ToyRows(), ToyOptions with { Epochs = 1 });
        var folder = Path.Combine(TestPaths.NewTempDir(), "embedder");
        encoder.Save(folder);

        var texts = new[] { "what about jazz piano", "coral reef is described at length and matters", "tax" };
        float[] expected;
        using (var noGrad = no_grad())
        using (var scope = NewDisposeScope())
            expected = encoder.Embed(texts, 32).data<float>().ToArray();
        foreach (var engine in new[] { InferenceEngine.TorchSharp, InferenceEngine.OnnxRuntime })
        {
            using var loaded = BiEncoder.Load(folder, new BiEncoderOptions { Device = "cpu", Engine = engine });
            Assert.Equal((PoolingMode.Mean, true, 32, 32), (loaded.Pooling, loaded.Normalized, loaded.MaxLength, loaded.Dimension));
            var actual = loaded.EmbedMany(texts);
            for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
        }
        Assert.True(Directory.Exists(Path.Combine(folder, "2_Normalize")));
    }

    [Fact]
    public void Save_IntoAFolderOfOtherFiles_IsRefusedEvenWithOverwriteAndLeavesItAlone()
    {
        using var encoder = Tiny();
        var folder = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");

        var e = Assert.Throws<InvalidInputException>(() => encoder.Save(folder, overwrite: true));

        Assert.Equal($"'{folder}' already exists and it holds 'notes.txt', which is not part of a sentence-transformers embedder folder; refusing to replace it, " +
            "even with --ft-overwrite, so that nothing of yours is deleted. Choose a new or empty --ft-output folder.", e.Message);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
    }

    [Fact]
    public void Save_OverAnEmbedderFolder_NeedsOverwriteThenReplacesIt()
    {
        // Before, any non-empty folder was refused, so a second fine-tune could never replace the first, even with overwrite.
        using var first = Tiny(seed: 3);
        using var second = Tiny(seed: 4);
        var folder = Path.Combine(TestPaths.NewTempDir(), "embedder");
        first.Save(folder);
        var before = File.ReadAllBytes(Path.Combine(folder, "model.safetensors"));

        var refused = Assert.Throws<InvalidInputException>(() => second.Save(folder));
        Assert.Equal($"'{folder}' already holds a sentence-transformers embedder folder. Pass --ft-overwrite to replace it, or choose another --ft-output folder.", refused.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));

        second.Save(folder, overwrite: true);

        var texts = new[] { "what about jazz piano", "tax" };
        float[] expected;
        using (var noGrad = no_grad())
        using (var scope = NewDisposeScope())
            expected = second.Embed(texts, 32).data<float>().ToArray();
        using var loaded = BiEncoder.Load(folder, new BiEncoderOptions { Device = "cpu", Engine = InferenceEngine.TorchSharp });
        var actual = loaded.EmbedMany(texts);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
        Assert.NotEqual(before, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
    }

    [Theory]
    [InlineData("1_Pooling/notes.txt", "1_Pooling/notes.txt")] // a file of the user's inside a module folder
    [InlineData("train_script.py", "train_script.py")]
    [InlineData("onnx/model.onnx", "onnx")] // a folder it does not write
    public void Save_OverAnEmbedderFolderHoldingSomethingElse_IsRefusedEvenWithOverwrite(string extra, string named)
    {
        using var encoder = Tiny();
        var folder = Path.Combine(TestPaths.NewTempDir(), "embedder");
        encoder.Save(folder);
        var path = Path.Combine(folder, extra);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "mine");

        var e = Assert.Throws<InvalidInputException>(() => encoder.Save(folder, overwrite: true));

        Assert.StartsWith($"'{folder}' already exists and it holds '{named.Replace('/', Path.DirectorySeparatorChar)}'", e.Message);
        Assert.Contains("even with --ft-overwrite", e.Message);
        Assert.Equal("mine", File.ReadAllText(path));
    }

    [Fact]
    public void Save_OverACrossEncoderFolderWithoutModulesJson_IsRefusedEvenWithOverwrite()
    {
        // Files of a model folder but no modules.json: not an embedder this could have written, so not replaced.
        using var encoder = Tiny();
        var folder = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(folder, "config.json"), "{}");

        var e = Assert.Throws<InvalidInputException>(() => encoder.Save(folder, overwrite: true));

        Assert.Equal($"'{folder}' already exists and it is not a sentence-transformers embedder folder (no modules.json); refusing to replace it, " +
            "even with --ft-overwrite, so that nothing of yours is deleted. Choose a new or empty --ft-output folder.", e.Message);
        Assert.Equal("{}", File.ReadAllText(Path.Combine(folder, "config.json")));
    }

    [Fact]
    public void Bundled_EmbedsAsTheLibrarysBundledBiEncoder()
    {
        using var encoder = TrainableBiEncoder.Bundled("cpu");
        using var reference = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu" });
        var texts = new[] { "do statins reduce stroke risk?", "Statins lower LDL cholesterol and reduce cardiovascular events in high-risk patients." };
        float[] ours;
        using (var noGrad = no_grad())
        using (var scope = NewDisposeScope())
            ours = encoder.Embed(texts, 256).data<float>().ToArray();
        var theirs = reference.EmbedMany(texts);
        for (var t = 0; t < texts.Length; t++)
        {
            var dot = 0.0;
            for (var i = 0; i < 384; i++) dot += ours[t * 384 + i] * theirs[t * 384 + i];
            Assert.True(dot > 0.99999, $"text {t}: cosine {dot}");
        }
    }

    private sealed class SyncProgress(Action<BiEncoderTrainingProgress> handler) : IProgress<BiEncoderTrainingProgress>
    {
        public void Report(BiEncoderTrainingProgress value) => handler(value);
    }
}
