using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// Copies host weights into a module by exact state-dict key. Every parameter must be present with
/// the right shape: missing keys, unexpected keys and shape mismatches are all listed in one
/// <see cref="InvalidInputException"/> that names the source file; nothing is copied unless all match.
/// </summary>
internal static class StrictWeightLoader
{
    /// <summary>
    /// Buffers Hugging Face BERT checkpoints may carry that are not weights: <c>position_ids</c>
    /// (0..max_position-1, saved by transformers before 4.31) and <c>token_type_ids</c> (zeros).
    /// They are skipped, with or without a <c>bert.</c> prefix; no other key is.
    /// </summary>
    public static readonly IReadOnlyList<string> IgnoredBufferKeys = ["embeddings.position_ids", "embeddings.token_type_ids"];

    /// <summary>True when <paramref name="key"/> names one of <see cref="IgnoredBufferKeys"/>.</summary>
    public static bool IsIgnoredBuffer(string key) =>
        IgnoredBufferKeys.Any(b => key == b || key.EndsWith("." + b, StringComparison.Ordinal));

    /// <summary>Loads <paramref name="weights"/> into <paramref name="module"/> strictly.</summary>
    /// <param name="module">The target; its <c>state_dict()</c> keys are the expected names.</param>
    /// <param name="weights">Host weights by name.</param>
    /// <param name="source">The file the weights came from, for the message.</param>
    /// <param name="allowedMissing">Keys the caller accepts as absent (they keep their current values).</param>
    /// <exception cref="InvalidInputException">Any key is missing, unexpected or of the wrong shape.</exception>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, TensorData> weights, string source, IReadOnlySet<string>? allowedMissing = null)
    {
        var expected = module.state_dict();
        Check(expected.ToDictionary(p => p.Key, p => p.Value.shape, StringComparer.Ordinal), module.GetName(), weights, source, allowedMissing);

        using var noGrad = no_grad();
        foreach (var (key, target) in expected)
        {
            if (!weights.TryGetValue(key, out var data)) continue;
            using var scope = NewDisposeScope();
            target.copy_(tensor(data.Values, data.Shape));
        }
    }

    /// <summary>
    /// The checks of <see cref="Load"/> without a module: <paramref name="weights"/> must hold every key of
    /// <paramref name="expected"/> (but <paramref name="allowedMissing"/>) with its shape and value count, and no other key
    /// (<see cref="IgnoredBufferKeys"/> aside). Used directly where the weights go to ONNX Runtime without a TorchSharp
    /// module (<see cref="BertWeightLayout"/> gives the expected shapes).
    /// </summary>
    /// <param name="expected">The model's state-dict keys and shapes.</param>
    /// <param name="modelName">The model class named in the message, e.g. "BertForSequenceClassification".</param>
    /// <param name="weights">Host weights by name.</param>
    /// <param name="source">The file the weights came from, for the message.</param>
    /// <param name="allowedMissing">Keys the caller accepts as absent.</param>
    /// <exception cref="InvalidInputException">Any key is missing, unexpected or of the wrong shape; all are listed.</exception>
    public static void Check(IReadOnlyDictionary<string, long[]> expected, string modelName, IReadOnlyDictionary<string, TensorData> weights, string source,
        IReadOnlySet<string>? allowedMissing = null)
    {
        var missing = expected.Keys.Where(k => !weights.ContainsKey(k) && (allowedMissing is null || !allowedMissing.Contains(k))).Order(StringComparer.Ordinal).ToList();
        var unexpected = weights.Keys.Where(k => !expected.ContainsKey(k) && !IsIgnoredBuffer(k)).Order(StringComparer.Ordinal).ToList();
        var mismatched = new List<string>();
        foreach (var (key, data) in weights.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!expected.TryGetValue(key, out var shape)) continue;
            if (!shape.SequenceEqual(data.Shape))
            {
                mismatched.Add($"{key}: checkpoint [{string.Join(", ", data.Shape)}], model [{string.Join(", ", shape)}]");
            }
            else if (data.Values.LongLength != data.ElementCount)
            {
                mismatched.Add($"{key}: {data.Values.LongLength} values for shape [{string.Join(", ", data.Shape)}]");
            }
        }

        if (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0)
        {
            var message = new StringBuilder($"Weights in '{source}' do not match the {modelName} model:");
            if (missing.Count > 0) message.Append($"\n  missing keys ({missing.Count}): {string.Join(", ", missing)}");
            if (unexpected.Count > 0) message.Append($"\n  unexpected keys ({unexpected.Count}): {string.Join(", ", unexpected)}");
            if (mismatched.Count > 0) message.Append($"\n  shape mismatches ({mismatched.Count}): {string.Join("; ", mismatched)}");
            message.Append("\nCheck that config.json describes this checkpoint (layers, hidden size, vocabulary, labels).");
            throw new InvalidInputException(message.ToString(), source);
        }
    }

    /// <summary>Copies every state-dict entry of <paramref name="module"/> to the host as float32.</summary>
    public static Dictionary<string, TensorData> Export(nn.Module module)
    {
        var result = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var (key, value) in module.state_dict())
        {
            using var scope = NewDisposeScope();
            var host = value.detach().to(ScalarType.Float32).cpu().contiguous();
            result[key] = new TensorData(host.shape.ToArray(), host.data<float>().ToArray());
        }

        return result;
    }
}
