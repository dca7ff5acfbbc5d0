using System.Text.Json.Nodes;
using Rerank.Lucene.Modeling.Onnx;

namespace Rerank.Benchmarks;

/// <summary>
/// A one-label cross-encoder folder for timing: the bundled MiniLM-L6 encoder
/// (<see cref="BundledEncoder.ImportMiniLm"/>) with a seeded random classifier head. The head decides
/// nothing about speed (one 384-wide dot product per pair), so a random one is fine for timing; it is
/// NOT a reranker. The score activation is Identity, so scores are raw logits.
/// </summary>
internal sealed class BenchmarkModelFolder
{
    private const int Hidden = 384;

    private BenchmarkModelFolder(string path, float[] classifierWeight, float classifierBias)
    {
        Path = path;
        ClassifierWeight = classifierWeight;
        ClassifierBias = classifierBias;
    }

    /// <summary>The model folder (config.json, model.safetensors, vocab.txt).</summary>
    public string Path { get; }

    /// <summary>classifier.weight [1, 384], row-major.</summary>
    public float[] ClassifierWeight { get; }

    /// <summary>classifier.bias [1].</summary>
    public float ClassifierBias { get; }

    /// <summary>Imports the encoder into <paramref name="workDir"/>/encoder and writes <paramref name="workDir"/>/cross-encoder.</summary>
    /// <param name="workDir">A scratch folder; both subfolders are replaced.</param>
    /// <param name="seed">Seed of the head's N(0, 0.02) weights (Hugging Face's initializer range); bias 0.</param>
    public static BenchmarkModelFolder Create(string workDir, int seed)
    {
        var encoderDir = BundledEncoder.ImportMiniLm(System.IO.Path.Combine(workDir, "encoder"), overwrite: true);
        var target = System.IO.Path.Combine(workDir, "cross-encoder");
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.CreateDirectory(target);
        foreach (var file in new[] { "vocab.txt", "tokenizer_config.json", "special_tokens_map.json" })
            File.Copy(System.IO.Path.Combine(encoderDir, file), System.IO.Path.Combine(target, file));

        var config = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(encoderDir, "config.json")))!.AsObject();
        config["architectures"] = new JsonArray("BertForSequenceClassification");
        config["num_labels"] = 1;
        config["id2label"] = new JsonObject { ["0"] = "LABEL_0" };
        config["label2id"] = new JsonObject { ["LABEL_0"] = 0 };
        config["sentence_transformers"] = new JsonObject { ["activation_fn"] = "torch.nn.modules.linear.Identity" };
        File.WriteAllText(System.IO.Path.Combine(target, "config.json"), config.ToJsonString(new() { WriteIndented = true }));

        var weights = SafeTensorsFile.Read(System.IO.Path.Combine(encoderDir, "model.safetensors"))
            .ToDictionary(p => "bert." + p.Key, p => p.Value, StringComparer.Ordinal);
        var head = NormalSample(Hidden, 0.02, seed);
        weights["classifier.weight"] = ([1, Hidden], head);
        weights["classifier.bias"] = ([1], [0f]);
        SafeTensorsFile.Write(System.IO.Path.Combine(target, "model.safetensors"), weights);
        return new BenchmarkModelFolder(target, head, 0f);
    }

    // Box-Muller: two uniforms u1 in (0, 1], u2 in [0, 1) give one N(0, 1) draw sqrt(-2 ln u1) cos(2 pi u2).
    private static float[] NormalSample(int count, double std, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            values[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }
        return values;
    }
}
