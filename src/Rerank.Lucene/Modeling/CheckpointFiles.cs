using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// Finds and reads the weights of a Hugging Face model folder in any of the layouts the Hub publishes,
/// for every architecture: <c>model.safetensors</c>; sharded safetensors (<c>model.safetensors.index.json</c>
/// naming the shard of each tensor); <c>pytorch_model.bin</c>; sharded pickles
/// (<c>pytorch_model.bin.index.json</c>). The first present in that order is read (Hugging Face's order:
/// safetensors before pickles). Pre-2019 LayerNorm names (<c>LayerNorm.gamma</c>/<c>beta</c>, e.g. in
/// bert-base-uncased) are renamed to <c>weight</c>/<c>bias</c> as Hugging Face renames them when loading.
/// </summary>
internal static class CheckpointFiles
{
    /// <summary>Single-file safetensors weights.</summary>
    public const string Safetensors = "model.safetensors";

    /// <summary>Index of sharded safetensors weights.</summary>
    public const string SafetensorsIndex = "model.safetensors.index.json";

    /// <summary>Single-file PyTorch pickle weights.</summary>
    public const string Pickle = "pytorch_model.bin";

    /// <summary>Index of sharded PyTorch pickle weights.</summary>
    public const string PickleIndex = "pytorch_model.bin.index.json";

    /// <summary>The weight files looked for, in the order they are preferred.</summary>
    public static IReadOnlyList<string> Candidates { get; } = [Safetensors, SafetensorsIndex, Pickle, PickleIndex];

    /// <summary>True when <paramref name="folder"/> holds one of <see cref="Candidates"/>.</summary>
    public static bool Exist(string folder) => Candidates.Any(f => File.Exists(Path.Combine(folder, f)));

    /// <summary>
    /// Reads every weight of <paramref name="folder"/> as float32 host tensors.
    /// </summary>
    /// <returns>The weights by state-dict key and the file they came from (the index for sharded weights).</returns>
    /// <exception cref="InvalidInputException">No weights file, a malformed file or index, a shard missing or
    /// disagreeing with its index, or a tensor given under both its old and new LayerNorm name.</exception>
    public static (Dictionary<string, TensorData> Weights, string Source) Read(string folder)
    {
        foreach (var name in Candidates)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            var weights = name switch
            {
                Safetensors => SafeTensors.Read(path),
                Pickle => PyTorchCheckpoint.Read(path),
                SafetensorsIndex => ReadSharded(path, SafeTensors.Read),
                _ => ReadSharded(path, PyTorchCheckpoint.Read),
            };
            if (name is Safetensors or Pickle) RequireFinite(weights, path);
            return (RenameLegacyLayerNorm(weights, path), path);
        }

        throw new InvalidInputException(
            $"Model folder '{folder}' has no weights: expected {string.Join(", ", Candidates.Take(Candidates.Count - 1))} or {Candidates[^1]}.",
            folder);
    }

    /// <summary>
    /// Refuses a weight holding NaN or ±Infinity: no trained model has them, and one would turn every score into
    /// NaN with no error. One pass over the values (vectorised by <see cref="float.IsFinite"/>'s bit test), small
    /// next to reading the file.
    /// </summary>
    /// <exception cref="InvalidInputException">A tensor holds a non-finite value; names the tensor, the index and the file.</exception>
    internal static void RequireFinite(IReadOnlyDictionary<string, TensorData> weights, string source)
    {
        foreach (var (key, tensor) in weights.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var values = tensor.Values;
            for (var i = 0; i < values.Length; i++)
            {
                if (float.IsFinite(values[i])) continue;
                throw new InvalidInputException(
                    $"Weights in '{source}': tensor '{key}' holds {(float.IsNaN(values[i]) ? "NaN" : values[i] > 0 ? "+Infinity" : "-Infinity")} at flat index {i}; weights must be finite (the file is damaged or the model diverged in training). Use an undamaged copy of the model.",
                    source);
            }
        }
    }

    /// <summary>
    /// Reads sharded weights: <paramref name="indexPath"/> maps each tensor name to a shard file in the same
    /// folder (<c>{"weight_map": {"bert.embeddings.word_embeddings.weight": "model-00001-of-00002.safetensors", ...}}</c>).
    /// Every listed tensor must be in its shard and every tensor of a shard must be listed (the int64
    /// <c>position_ids</c> buffer, which the shard readers check and drop, excepted).
    /// </summary>
    internal static Dictionary<string, TensorData> ReadSharded(string indexPath, Func<string, Dictionary<string, TensorData>> readShard)
    {
        InvalidInputException Bad(string problem) =>
            new($"Sharded weights index '{indexPath}' {problem}. Download the index and all its shards again from the model's page.", indexPath);
        JsonObject map;
        try
        {
            map = (JsonNode.Parse(File.ReadAllText(indexPath)) as JsonObject)?["weight_map"] as JsonObject
                ?? throw Bad("has no \"weight_map\" object");
        }
        catch (JsonException e)
        {
            throw Bad($"is not valid JSON ({e.Message})");
        }

        var byShard = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (key, node) in map)
        {
            if (node is not JsonValue v || !v.TryGetValue<string>(out var shard) || shard.Length == 0)
                throw Bad($"maps '{key}' to {node?.ToJsonString() ?? "null"}, not a shard file name");
            if (shard != Path.GetFileName(shard) || shard is "." or "..")
                throw Bad($"maps '{key}' to '{shard}'; shards must be files in the index's own folder");
            if (!byShard.TryGetValue(shard, out var keys)) byShard[shard] = keys = [];
            keys.Add(key);
        }

        if (byShard.Count == 0) throw Bad("lists no tensors");
        var folder = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var missingShards = byShard.Keys.Where(s => !File.Exists(Path.Combine(folder, s))).ToList();
        if (missingShards.Count > 0) throw Bad($"names shards that are not in the folder: {string.Join(", ", missingShards)}");

        var result = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var (shard, keys) in byShard)
        {
            var shardPath = Path.Combine(folder, shard);
            var tensors = readShard(shardPath);
            RequireFinite(tensors, shardPath);
            var absent = keys.Where(k => !tensors.ContainsKey(k) && !SafeTensors.IsPositionIdsBuffer(k)).ToList();
            if (absent.Count > 0) throw Bad($"lists {absent.Count} tensors that shard '{shard}' does not hold: {string.Join(", ", absent.Take(10))}");
            var listed = keys.ToHashSet(StringComparer.Ordinal);
            var unlisted = tensors.Keys.Where(k => !listed.Contains(k)).Order(StringComparer.Ordinal).ToList();
            if (unlisted.Count > 0) throw Bad($"does not list {unlisted.Count} tensors that shard '{shard}' holds: {string.Join(", ", unlisted.Take(10))}");
            foreach (var (key, value) in tensors) result[key] = value;
        }

        return result;
    }

    /// <summary>
    /// Renames <c>*.LayerNorm.gamma</c> to <c>*.LayerNorm.weight</c> and <c>*.LayerNorm.beta</c> to
    /// <c>*.LayerNorm.bias</c> (TensorFlow-era names, as in bert-base-uncased's checkpoint); no other key changes.
    /// </summary>
    /// <exception cref="InvalidInputException">A tensor is present under both names.</exception>
    internal static Dictionary<string, TensorData> RenameLegacyLayerNorm(Dictionary<string, TensorData> weights, string source)
    {
        if (!weights.Keys.Any(IsLegacy)) return weights;
        var result = new Dictionary<string, TensorData>(weights.Count, StringComparer.Ordinal);
        foreach (var (key, value) in weights)
        {
            if (!IsLegacy(key)) continue;
            var renamed = key.EndsWith(".gamma", StringComparison.Ordinal) ? key[..^".gamma".Length] + ".weight" : key[..^".beta".Length] + ".bias";
            if (weights.ContainsKey(renamed))
                throw new InvalidInputException($"Weights in '{source}' hold both '{key}' and '{renamed}' (the same LayerNorm parameter under its old and new name); remove one.", source);
            result[renamed] = value;
        }

        foreach (var (key, value) in weights)
        {
            if (!IsLegacy(key)) result[key] = value;
        }

        return result;
    }

    private static bool IsLegacy(string key) =>
        key.Contains("LayerNorm.", StringComparison.Ordinal) && (key.EndsWith("LayerNorm.gamma", StringComparison.Ordinal) || key.EndsWith("LayerNorm.beta", StringComparison.Ordinal));
}
