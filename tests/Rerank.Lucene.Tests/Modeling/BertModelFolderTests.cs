using System.Text.Json.Nodes;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Tests.Native;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Modeling;

[Collection(TorchCollection.Name)]
public sealed class BertModelFolderTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDir("bertdir");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private float[] Score(BertForSequenceClassification model)
    {
        var (ids, types, mask) = TinyBert.Batch();
        using var logits = model.forward(ids, types, mask);
        return logits.data<float>().ToArray();
    }

    private string SaveTiny(BertForSequenceClassification model, bool float16 = false)
    {
        var folder = Path.Combine(_dir, "model");
        BertModelFolder.Save(folder, model, new BertFolderSaveOptions { Tokenizer = new Rerank.Lucene.Tokenization.BertPairEncoder(TinyBert.WriteVocab(_dir)), Float16 = float16, Overwrite = true });
        return folder;
    }

    [Fact]
    public void SaveLoad_RandomModel_ScoresBitwiseIdentically()
    {
        using var model = TinyBert.Classifier();
        var folder = SaveTiny(model);

        using var loaded = BertModelFolder.LoadForSequenceClassification(folder, ClassifierHeadPolicy.RequireTrained);
        loaded.eval();

        Assert.True(loaded.HasTrainedHead);
        Assert.Equal(Score(model), Score(loaded));
    }

    [Fact]
    public void Save_TinyModel_WritesHuggingFaceLayout()
    {
        using var model = TinyBert.Classifier();

        var folder = SaveTiny(model);

        Assert.Equal(
            ["config.json", "model.safetensors", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.Equal([folder], Directory.GetDirectories(_dir)); // no temporary folder left behind
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        Assert.Equal("BertForSequenceClassification", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal(1, config["num_labels"]!.GetValue<int>());
        Assert.Equal("LABEL_0", config["id2label"]!["0"]!.GetValue<string>());
        Assert.Equal(16, config["max_position_embeddings"]!.GetValue<int>());
        Assert.Equal("bert", config["model_type"]!.GetValue<string>());
        Assert.Equal("torch.nn.modules.activation.Sigmoid", config["sentence_transformers"]!["activation_fn"]!.GetValue<string>());
        var tokenizer = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer_config.json")))!;
        Assert.True(tokenizer["do_lower_case"]!.GetValue<bool>());
        Assert.Equal("BertTokenizer", tokenizer["tokenizer_class"]!.GetValue<string>());
        Assert.Equal(512, tokenizer["model_max_length"]!.GetValue<int>());
        Assert.Equal(100, File.ReadAllLines(Path.Combine(folder, "vocab.txt")).Length);
    }

    [Fact]
    public void SaveLoad_Float16_ScoresClose()
    {
        using var model = TinyBert.Classifier();
        var folder = SaveTiny(model, float16: true);

        using var loaded = BertModelFolder.LoadForSequenceClassification(folder, ClassifierHeadPolicy.RequireTrained);
        loaded.eval();

        var expected = Score(model);
        var actual = Score(loaded);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-2f);
    }

    [Fact]
    public void Save_ExistingModelFolderWithoutOverwrite_Throws()
    {
        using var model = TinyBert.Classifier();
        var folder = Path.Combine(_dir, "taken");
        var options = new BertFolderSaveOptions { Tokenizer = new Rerank.Lucene.Tokenization.BertPairEncoder(TinyBert.WriteVocab(_dir)) };
        BertModelFolder.Save(folder, model, options);

        var e = Assert.Throws<InvalidInputException>(() => BertModelFolder.Save(folder, model, options));

        Assert.Equal($"'{folder}' already holds a model folder. Pass --overwrite to replace it, or choose another --output folder.", e.Message);
        BertModelFolder.Save(folder, model, options with { Overwrite = true });
    }

    [Fact]
    public void Save_EmptyFolder_IsWritten()
    {
        using var model = TinyBert.Classifier();
        var folder = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(folder);

        BertModelFolder.Save(folder, model, new BertFolderSaveOptions { Tokenizer = new Rerank.Lucene.Tokenization.BertPairEncoder(TinyBert.WriteVocab(_dir)) });

        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
    }

    [Fact]
    public void Save_FolderHoldingUserFilesWithOverwrite_RefusesAndKeepsEveryFile()
    {
        using var model = TinyBert.Classifier();
        var folder = Path.Combine(_dir, "models");
        var options = new BertFolderSaveOptions { Tokenizer = new Rerank.Lucene.Tokenization.BertPairEncoder(TinyBert.WriteVocab(_dir)), Overwrite = true };
        // Like `--output models`: a folder of model folders, not a model folder.
        BertModelFolder.Save(Path.Combine(folder, "default-reranker"), model, options);
        File.WriteAllText(Path.Combine(folder, "important.txt"), "keep me");

        var e = Assert.Throws<InvalidInputException>(() => BertModelFolder.Save(folder, model, options));

        Assert.StartsWith($"'{folder}' already exists and it holds ", e.Message);
        Assert.Contains("refusing to replace it, even with --overwrite", e.Message);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(folder, "important.txt")));
        Assert.True(File.Exists(Path.Combine(folder, "default-reranker", "model.safetensors")));
    }

    [Fact]
    public void LoadWeights_MissingAndUnexpectedKeys_ListsThemVerbatim()
    {
        using var model = TinyBert.Classifier();
        var weights = model.ExportWeights();
        weights.Remove("bert.pooler.dense.bias");
        weights.Remove("bert.encoder.layer.1.output.LayerNorm.weight");
        weights["bert.encoder.layer.2.output.dense.weight"] = new TensorData([1], [0f]);
        weights["classifier.weight"] = new TensorData([2, 32], new float[64]);
        weights["bert.embeddings.position_ids"] = new TensorData([1, 16], new float[16]);
        using var target = TinyBert.Classifier(seed: 8);

        var e = Assert.Throws<InvalidInputException>(() => target.LoadWeights(weights, "w.safetensors", ClassifierHeadPolicy.RequireTrained));

        Assert.Equal(
            "Weights in 'w.safetensors' do not match the BertForSequenceClassification model:\n"
            + "  missing keys (2): bert.encoder.layer.1.output.LayerNorm.weight, bert.pooler.dense.bias\n"
            + "  unexpected keys (1): bert.encoder.layer.2.output.dense.weight\n"
            + "  shape mismatches (1): classifier.weight: checkpoint [2, 32], model [1, 32]\n"
            + "Check that config.json describes this checkpoint (layers, hidden size, vocabulary, labels).",
            e.Message);
    }

    [Fact]
    public void LoadWeights_EncoderOnlyWithRequireTrained_ThrowsHeadMissing()
    {
        using var source = TinyBert.Classifier();
        var encoderOnly = source.Bert.ExportWeights();
        using var target = TinyBert.Classifier(seed: 8);

        var e = Assert.Throws<InvalidInputException>(() => target.LoadWeights(encoderOnly, "enc.safetensors", ClassifierHeadPolicy.RequireTrained));

        Assert.StartsWith("'enc.safetensors' has no classifier head (classifier.weight, classifier.bias): it is an encoder-only checkpoint.", e.Message);
        Assert.False(target.HasTrainedHead);
    }

    [Fact]
    public void LoadWeights_EncoderOnlyWithAllowFresh_LoadsEncoderAndReportsFreshHead()
    {
        using var source = TinyBert.Classifier();
        var encoderOnly = source.Bert.ExportWeights();
        Assert.DoesNotContain(encoderOnly.Keys, k => k.StartsWith("bert.", StringComparison.Ordinal));
        using var target = TinyBert.Classifier(seed: 8);
        target.InitializeFreshHead(seed: 42);
        var head = target.ExportWeights()["classifier.weight"].Values;

        target.LoadWeights(encoderOnly, "enc.safetensors", ClassifierHeadPolicy.AllowFresh);

        Assert.False(target.HasTrainedHead);
        var loaded = target.ExportWeights();
        Assert.Equal(encoderOnly["encoder.layer.0.attention.self.query.weight"].Values, loaded["bert.encoder.layer.0.attention.self.query.weight"].Values);
        Assert.Equal(head, loaded["classifier.weight"].Values);
    }

    [Fact]
    public void InitializeFreshHead_SameSeed_SameHead()
    {
        using var a = TinyBert.Classifier(seed: 1);
        using var b = TinyBert.Classifier(seed: 2);

        a.InitializeFreshHead(123);
        b.InitializeFreshHead(123);

        Assert.Equal(a.ExportWeights()["classifier.weight"].Values, b.ExportWeights()["classifier.weight"].Values);
        Assert.All(a.ExportWeights()["classifier.bias"].Values, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void LoadBertModel_SavedClassifierFolder_RejectsPrefixedKeys()
    {
        using var model = TinyBert.Classifier();
        var folder = SaveTiny(model);

        var e = Assert.Throws<InvalidInputException>(() => BertModelFolder.LoadBertModel(folder));

        Assert.Contains("unexpected keys (", e.Message);
        Assert.Contains("classifier.weight", e.Message);
    }

    [Fact]
    public void ReadWeights_EmptyFolder_ListsMissingFiles()
    {
        var e = Assert.Throws<InvalidInputException>(() => BertModelFolder.ReadWeights(_dir));

        Assert.Equal(
            $"Model folder '{_dir}' is missing config.json and model.safetensors (or model.safetensors.index.json with its shards, pytorch_model.bin, pytorch_model.bin.index.json); a Hugging Face model folder needs config.json and its weights.",
            e.Message);
    }

    [Fact]
    public void ReadWeights_PickleOnlyInLegacyFormat_RefusedNamingTheFile()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{}");
        File.WriteAllBytes(Path.Combine(_dir, "pytorch_model.bin"), [0x80, 0x02]);

        var e = Assert.Throws<InvalidInputException>(() => BertModelFolder.ReadWeights(_dir));

        Assert.StartsWith($"'{Path.Combine(_dir, "pytorch_model.bin")}' is not a readable PyTorch state dict: it is not a zip archive.", e.Message);
    }

    [Fact]
    public void LoadWeights_BertModelFromDictionary_MatchesSource()
    {
        manual_seed(3);
        using var source = new BertModel(TinyBert.Config());
        manual_seed(4);
        using var target = new BertModel(TinyBert.Config());
        source.eval();
        target.eval();
        var (ids, types, mask) = TinyBert.Batch();

        target.LoadWeights(source.ExportWeights(), "dict");

        using var a = source.forward(ids, types, mask);
        using var b = target.forward(ids, types, mask);
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
    }
}
