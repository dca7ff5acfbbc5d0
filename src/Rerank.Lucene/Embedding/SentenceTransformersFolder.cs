using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rerank.Lucene.Embedding;

/// <summary>
/// What a sentence-transformers bi-encoder folder says about its pipeline, read from
/// <c>modules.json</c>, the pooling module's <c>config.json</c> and <c>sentence_bert_config.json</c>.
/// Only the pipeline <c>Transformer</c> (a BERT) → <c>Pooling</c> (mean or CLS) → optional
/// <c>Normalize</c> is supported; anything else is refused rather than approximated.
/// </summary>
/// <param name="TransformerFolder">The folder holding the BERT (<c>config.json</c>, weights, <c>vocab.txt</c>).</param>
/// <param name="Pooling">The pooling mode.</param>
/// <param name="Normalize">Whether a <c>Normalize</c> module follows the pooling.</param>
/// <param name="MaxSeqLength"><c>max_seq_length</c> of <c>sentence_bert_config.json</c>, or null when the file has none.</param>
/// <param name="EmbeddingDimension"><c>word_embedding_dimension</c> of the pooling config.</param>
internal sealed record SentenceTransformersFolder(
    string TransformerFolder, PoolingMode Pooling, bool Normalize, int? MaxSeqLength, int EmbeddingDimension)
{
    /// <summary>The module list file of a sentence-transformers folder.</summary>
    public const string ModulesFile = "modules.json";

    /// <summary>The transformer module's settings file.</summary>
    public const string SentenceBertConfigFile = "sentence_bert_config.json";

    private const string TransformerType = "sentence_transformers.models.Transformer";
    private const string PoolingType = "sentence_transformers.models.Pooling";
    private const string NormalizeType = "sentence_transformers.models.Normalize";

    private static readonly string[] OtherPoolingModes =
    [
        "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken",
    ];

    /// <summary>Reads and checks the pipeline of <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidInputException">A file is missing or malformed, or the pipeline is not Transformer → Pooling (mean|cls) → [Normalize].</exception>
    public static SentenceTransformersFolder Read(string folder)
    {
        if (!Directory.Exists(folder))
            throw new InvalidInputException(File.Exists(folder)
                ? $"Embedder '{folder}' is a file; expected a sentence-transformers model folder (with {ModulesFile}). Pass such a folder, --embedder bundled (the default) or --embedder none."
                : $"Embedder folder '{folder}' does not exist. Pass a sentence-transformers model folder (with {ModulesFile}), --embedder bundled (the default) or --embedder none.", folder);
        var modulesPath = Path.Combine(folder, ModulesFile);
        if (!File.Exists(modulesPath))
            throw new InvalidInputException(
                $"'{folder}' has no {ModulesFile}, so it is not a sentence-transformers bi-encoder folder. Pass a folder saved by "
                + "SentenceTransformer.save (e.g. a download of sentence-transformers/all-MiniLM-L6-v2), or omit --embedder for the bundled MiniLM.",
                modulesPath);
        var modules = ParseArray(modulesPath);
        var entries = new List<(string Type, string Path)>();
        foreach (var node in modules)
        {
            var type = (node as JsonObject)?["type"]?.GetValue<string>();
            var path = (node as JsonObject)?["path"]?.GetValue<string>() ?? "";
            if (type is null) throw new InvalidInputException($"'{modulesPath}': every module needs a \"type\"; found {node?.ToJsonString()}.", modulesPath);
            entries.Add((type, path));
        }
        var types = entries.Select(e => e.Type).ToList();
        var supported = types.Count is 2 or 3 && types[0] == TransformerType && types[1] == PoolingType && (types.Count == 2 || types[2] == NormalizeType);
        if (!supported)
            throw new InvalidInputException(
                $"'{modulesPath}' lists the modules [{string.Join(", ", types)}]; only Transformer → Pooling → (optional) Normalize "
                + "is supported (no Dense, no other layers). Use a plain BERT bi-encoder such as all-MiniLM-L6-v2.",
                modulesPath);

        var transformerFolder = Path.Combine(folder, entries[0].Path);
        var poolingConfigPath = Path.Combine(folder, entries[1].Path, "config.json");
        if (!File.Exists(poolingConfigPath))
            throw new InvalidInputException($"The pooling module's '{poolingConfigPath}' is missing; the folder is incomplete. Copy it from the original model.", poolingConfigPath);
        var pooling = ParseObject(poolingConfigPath);
        bool Flag(string key) => pooling[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        var others = OtherPoolingModes.Where(Flag).ToList();
        var mean = Flag("pooling_mode_mean_tokens");
        var cls = Flag("pooling_mode_cls_token");
        if (others.Count > 0 || mean == cls)
        {
            var on = new[] { "pooling_mode_mean_tokens", "pooling_mode_cls_token" }.Where(Flag).Concat(others).ToList();
            throw new InvalidInputException(
                $"'{poolingConfigPath}' turns on [{string.Join(", ", on)}]; exactly one of pooling_mode_mean_tokens and pooling_mode_cls_token "
                + "must be true and no other pooling mode is supported. Use a model with mean or CLS pooling.",
                poolingConfigPath);
        }
        var dimension = pooling["word_embedding_dimension"] is JsonValue d && d.TryGetValue<int>(out var dim) ? dim
            : throw new InvalidInputException($"'{poolingConfigPath}' has no integer word_embedding_dimension.", poolingConfigPath);

        int? maxSeqLength = null;
        var sbertPath = Path.Combine(transformerFolder, SentenceBertConfigFile);
        if (File.Exists(sbertPath))
        {
            var sbert = ParseObject(sbertPath);
            if (sbert["max_seq_length"] is JsonValue m)
            {
                maxSeqLength = m.TryGetValue<int>(out var ml) && ml >= 3 ? ml
                    : throw new InvalidInputException($"'{sbertPath}': max_seq_length must be an integer of at least 3; found {m.ToJsonString()}.", sbertPath);
            }
        }
        return new SentenceTransformersFolder(transformerFolder, cls ? PoolingMode.Cls : PoolingMode.Mean, types.Count == 3, maxSeqLength, dimension);
    }

    private static JsonArray ParseArray(string path) =>
        Parse(path) as JsonArray ?? throw new InvalidInputException($"'{path}' must hold a JSON array of modules.", path);

    private static JsonObject ParseObject(string path) =>
        Parse(path) as JsonObject ?? throw new InvalidInputException($"'{path}' must hold a JSON object.", path);

    private static JsonNode? Parse(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"'{path}' is not valid JSON ({e.Message}). Restore the file from the original model.", path, inner: e);
        }
    }
}
