using System.Text.Json;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;

namespace Rerank.Lucene.Tests.Modeling.Onnx;

public class BundledEncoderTests
{
    private static void FakeWeightsWriter(string path, IReadOnlyDictionary<string, TensorData> weights) =>
        File.WriteAllText(path, $"{weights.Count} tensors");

    [Fact]
    public void ImportMiniLm_EmptyTarget_WritesHfBaseModelFolder()
    {
        var parent = TestPaths.NewTempDir();
        var target = Path.Combine(parent, "models", "minilm-l6");
        try
        {
            var result = BundledEncoder.ImportMiniLm(target, false, MiniLmPackage.Locate(), FakeWeightsWriter);

            Assert.Equal(target, result);
            Assert.Equal(
                ["config.json", "model.safetensors", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"],
                Directory.GetFiles(target).Select(Path.GetFileName).Order());
            Assert.Equal("103 tensors", File.ReadAllText(Path.Combine(target, "model.safetensors")));
            Assert.Equal(["minilm-l6"], Directory.GetFileSystemEntries(Path.Combine(parent, "models")).Select(Path.GetFileName));

            using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(target, "config.json")));
            var c = config.RootElement;
            Assert.Equal("BertModel", c.GetProperty("architectures")[0].GetString());
            Assert.Equal("bert", c.GetProperty("model_type").GetString());
            Assert.Equal(30522, c.GetProperty("vocab_size").GetInt32());
            Assert.Equal(384, c.GetProperty("hidden_size").GetInt32());
            Assert.Equal(6, c.GetProperty("num_hidden_layers").GetInt32());
            Assert.Equal(12, c.GetProperty("num_attention_heads").GetInt32());
            Assert.Equal(1536, c.GetProperty("intermediate_size").GetInt32());
            Assert.Equal(512, c.GetProperty("max_position_embeddings").GetInt32());
            Assert.Equal(2, c.GetProperty("type_vocab_size").GetInt32());
            Assert.Equal("gelu", c.GetProperty("hidden_act").GetString());
            Assert.Equal(1e-12, c.GetProperty("layer_norm_eps").GetDouble());
            Assert.Equal(0, c.GetProperty("pad_token_id").GetInt32());
            var parsed = BertConfig.Load(Path.Combine(target, "config.json"));
            Assert.Equal((384, 6, 12, 1536, "gelu", 1e-12), (parsed.HiddenSize, parsed.NumHiddenLayers, parsed.NumAttentionHeads, parsed.IntermediateSize, parsed.HiddenAct, parsed.LayerNormEps));

            using var tokenizer = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(target, "tokenizer_config.json")));
            Assert.True(tokenizer.RootElement.GetProperty("do_lower_case").GetBoolean());
            Assert.Equal(512, tokenizer.RootElement.GetProperty("model_max_length").GetInt32());

            using var special = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(target, "special_tokens_map.json")));
            Assert.Equal("[SEP]", special.RootElement.GetProperty("sep_token").GetString());

            var vocab = File.ReadAllText(Path.Combine(target, "vocab.txt"));
            Assert.DoesNotContain('\r', vocab);
            var lines = vocab.Split('\n');
            Assert.Equal(30523, lines.Length); // 30522 tokens, each ending in '\n'
            Assert.Equal("[CLS]", lines[101]);
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public void ImportMiniLm_SafeTensorsWriter_RoundTripsEveryWeight()
    {
        var parent = TestPaths.NewTempDir();
        try
        {
            var dir = BundledEncoder.ImportMiniLm(Path.Combine(parent, "m"));

            var written = SafeTensors.Read(Path.Combine(dir, "model.safetensors"));
            var imported = MiniLmImporter.Import(MiniLmPackage.Locate().ReadModelOnnx()).Weights;
            Assert.Equal(imported.Keys.Order(), written.Keys.Order());
            foreach (var (key, tensor) in imported)
            {
                Assert.Equal(tensor.Shape, written[key].Shape);
                Assert.True(tensor.Values.AsSpan().SequenceEqual(written[key].Values), key);
            }
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public void ImportMiniLm_TargetExists_ThrowsAndKeepsIt()
    {
        var target = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(target, "keep.txt"), "x");
        try
        {
            var ex = Assert.Throws<InvalidInputException>(() => BundledEncoder.ImportMiniLm(target, overwrite: true));

            Assert.Equal(
                $"'{target}' already exists and it holds 'keep.txt', which is not part of a model folder; refusing to replace it, even with --overwrite, "
                + "so that nothing of yours is deleted. Choose a new or empty --output folder.",
                ex.Message);
            Assert.True(File.Exists(Path.Combine(target, "keep.txt")));
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }

    [Fact]
    public void ImportMiniLm_OverwriteExisting_ReplacesFolder()
    {
        var parent = TestPaths.NewTempDir();
        var target = Path.Combine(parent, "m");
        Directory.CreateDirectory(target);
        // An earlier model folder: replaced as a whole.
        File.WriteAllText(Path.Combine(target, "config.json"), "{}");
        File.WriteAllText(Path.Combine(target, "pytorch_model.bin"), "stale");
        try
        {
            BundledEncoder.ImportMiniLm(target, true, MiniLmPackage.Locate(), FakeWeightsWriter);

            Assert.False(File.Exists(Path.Combine(target, "pytorch_model.bin")));
            Assert.Contains("hidden_size", File.ReadAllText(Path.Combine(target, "config.json")));
            Assert.Equal(["m"], Directory.GetFileSystemEntries(parent).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public void ImportMiniLm_WriterFails_LeavesNothingBehind()
    {
        var parent = TestPaths.NewTempDir();
        var target = Path.Combine(parent, "m");
        try
        {
            Assert.Throws<IOException>(() => BundledEncoder.ImportMiniLm(
                target, false, MiniLmPackage.Locate(), (_, _) => throw new IOException("disk full")));

            Assert.Empty(Directory.GetFileSystemEntries(parent));
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }
}
