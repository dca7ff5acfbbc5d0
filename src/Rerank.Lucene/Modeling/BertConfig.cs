using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// The hyper-parameters of a BERT model, as in a Hugging Face <c>config.json</c>
/// (<c>transformers.BertConfig</c>). Keys missing from the file take Hugging Face's defaults
/// (BERT-base: 12 layers of 768, 12 heads, 3072 intermediate, vocabulary 30522); keys this
/// library does not use are kept and written back by <see cref="ToJson"/>.
/// </summary>
/// <example>
/// <code>
/// var config = BertConfig.Load("models/minilm/config.json");
/// Console.WriteLine($"{config.NumHiddenLayers} layers, activation {config.Activation}");
/// </code>
/// </example>
public sealed record BertConfig
{
    /// <summary>Token vocabulary size (<c>vocab_size</c>, default 30522).</summary>
    public int VocabSize { get; init; } = 30522;

    /// <summary>Width of every hidden state (<c>hidden_size</c>, default 768).</summary>
    public int HiddenSize { get; init; } = 768;

    /// <summary>
    /// Width of the token embeddings when it differs from <see cref="HiddenSize"/> (ELECTRA's <c>embedding_size</c>,
    /// projected to the hidden size by <c>embeddings_project</c>); null when the file has none.
    /// </summary>
    public int? EmbeddingSize { get; init; }

    /// <summary>Number of transformer layers (<c>num_hidden_layers</c>, default 12).</summary>
    public int NumHiddenLayers { get; init; } = 12;

    /// <summary>Attention heads per layer (<c>num_attention_heads</c>, default 12); must divide <see cref="HiddenSize"/>.</summary>
    public int NumAttentionHeads { get; init; } = 12;

    /// <summary>Width of the feed-forward layer (<c>intermediate_size</c>, default 3072).</summary>
    public int IntermediateSize { get; init; } = 3072;

    /// <summary>
    /// Feed-forward activation (<c>hidden_act</c>, default "gelu", the exact erf form).
    /// Also accepted: "gelu_new" and "gelu_pytorch_tanh" (the tanh approximation), "relu".
    /// </summary>
    public string HiddenAct { get; init; } = "gelu";

    /// <summary>Dropout after embeddings and each sub-layer (<c>hidden_dropout_prob</c>, default 0.1); training only.</summary>
    public double HiddenDropoutProb { get; init; } = 0.1;

    /// <summary>Dropout on attention probabilities (<c>attention_probs_dropout_prob</c>, default 0.1); training only.</summary>
    public double AttentionProbsDropoutProb { get; init; } = 0.1;

    /// <summary>
    /// Dropout before the classifier (<c>classifier_dropout</c>); null (the default) means
    /// <see cref="HiddenDropoutProb"/>, as in Hugging Face.
    /// </summary>
    public double? ClassifierDropout { get; init; }

    /// <summary>Longest input the position embeddings cover (<c>max_position_embeddings</c>, default 512).</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;

    /// <summary>Number of segment (token type) ids (<c>type_vocab_size</c>, default 2).</summary>
    public int TypeVocabSize { get; init; } = 2;

    /// <summary>LayerNorm epsilon (<c>layer_norm_eps</c>, default 1e-12 as in BERT).</summary>
    public double LayerNormEps { get; init; } = 1e-12;

    /// <summary>Id of the padding token (<c>pad_token_id</c>, default 0).</summary>
    public int PadTokenId { get; init; }

    /// <summary>Std of the normal initialisation of fresh weights (<c>initializer_range</c>, default 0.02).</summary>
    public double InitializerRange { get; init; } = 0.02;

    /// <summary>
    /// Output label names, index = class id (<c>id2label</c>); its count is <c>num_labels</c>.
    /// Default, as Hugging Face when neither key is given: two labels LABEL_0, LABEL_1.
    /// Cross-encoders for ranking have one.
    /// </summary>
    public IReadOnlyList<string> Labels { get; init; } = ["LABEL_0", "LABEL_1"];

    /// <summary>Number of classifier outputs (the count of <see cref="Labels"/>).</summary>
    public int NumLabels => Labels.Count;

    /// <summary>Model classes the checkpoint was saved from (<c>architectures</c>).</summary>
    public IReadOnlyList<string> Architectures { get; init; } = [];

    /// <summary>The top-level keys of the config.json this was read from (empty for a config built in code).</summary>
    public IReadOnlySet<string> SourceKeys { get; init; } = new HashSet<string>();

    /// <summary>
    /// Keys this class reads with BERT's defaults that a family's own Hugging Face config does not have (ModernBertConfig
    /// has no token types, dropout probabilities or LayerNorm eps of BERT's names, and takes classifier_dropout as a
    /// number): <see cref="ToJson"/> writes them for that family only when its source file had them.
    /// </summary>
    private static readonly Dictionary<string, string[]> KeysOutsideFamily = new(StringComparer.Ordinal)
    {
        ["modernbert"] = ["hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "type_vocab_size", "layer_norm_eps", "position_embedding_type", "classifier_dropout"],
    };

    /// <summary>Model family (<c>model_type</c>, default "bert").</summary>
    public string ModelType { get; init; } = "bert";

    /// <summary>
    /// Score activation, as sentence-transformers' <c>CrossEncoder</c> chooses it: the class named
    /// by <c>sentence_transformers.activation_fn</c> (or the older
    /// <c>sbert_ce_default_activation_function</c>) when present; otherwise Sigmoid when
    /// <see cref="NumLabels"/> is 1 and Identity when it is not.
    /// </summary>
    public ScoreActivation Activation { get; init; } = ScoreActivation.Identity;

    /// <summary>Keys of the source file this library does not interpret, written back unchanged.</summary>
    internal JsonObject UnknownKeys { get; init; } = new();

    /// <summary>Entries of the source's <c>sentence_transformers</c> object other than <c>activation_fn</c>.</summary>
    internal JsonObject SentenceTransformersExtra { get; init; } = new();

    private static readonly HashSet<string> KnownKeys =
    [
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
        "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout",
        "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "pad_token_id",
        "initializer_range", "id2label", "label2id", "num_labels", "architectures", "model_type",
        "sbert_ce_default_activation_function", "position_embedding_type", "embedding_size",
    ];

    /// <summary>The <c>activation_fn</c> value sentence-transformers writes for each activation.</summary>
    internal static string ActivationClassName(ScoreActivation activation) => activation switch
    {
        ScoreActivation.Sigmoid => "torch.nn.modules.activation.Sigmoid",
        _ => "torch.nn.modules.linear.Identity",
    };

    /// <summary>Reads and validates a <c>config.json</c>.</summary>
    /// <param name="path">The file to read.</param>
    /// <exception cref="InvalidInputException">The file is missing, is not JSON, or a key is invalid; the message names the key.</exception>
    public static BertConfig Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"Model config '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), path, requireModelType: true);
    }

    /// <summary>Parses and validates the text of a <c>config.json</c>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">The file name used in error messages.</param>
    /// <param name="requireModelType">Refuse a config without <c>model_type</c> (a model folder's config.json: Hugging
    /// Face's AutoConfig, which CrossEncoder loads through, refuses it too unless the folder's name happens to contain
    /// a model type, a guess this library does not make); false reads a missing key as "bert", as BertConfig does.</param>
    /// <exception cref="InvalidInputException">The text is not a JSON object or a key is invalid.</exception>
    public static BertConfig Parse(string json, string source, bool requireModelType = false)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject
                ?? throw new InvalidInputException($"Model config '{source}' must be a JSON object.", source);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"Model config '{source}' is not valid JSON: {e.Message}", source, inner: e);
        }

        var reader = new Reader(root, source);
        if (requireModelType && root["model_type"] is null)
        {
            throw new InvalidInputException(
                $"Model config '{source}' has no \"model_type\"; Hugging Face's AutoConfig refuses such a config too. Add the model's family, e.g. \"model_type\": \"bert\" "
                + $"(supported: {string.Join(", ", ModelArchitectures.Supported.Select(s => s.ModelType))}), or use the config.json that came with the model.",
                source);
        }

        // The family first: a config of another architecture would otherwise fail on a key BERT needs
        // (DeBERTa-v2's type_vocab_size 0), which reads as a broken file rather than an unsupported model.
        var modelType = reader.String("model_type", "bert");
        if (!ModelArchitectures.IsSupported(modelType)) throw ModelArchitectures.Unsupported(source, modelType, reader.StringArray("architectures"));
        var unknown = new JsonObject();
        foreach (var (key, value) in root)
        {
            if (!KnownKeys.Contains(key) && key != "sentence_transformers") unknown[key] = value?.DeepClone();
        }

        var positionType = reader.String("position_embedding_type", "absolute");
        if (positionType != "absolute")
        {
            throw reader.Error("position_embedding_type", $"'{positionType}' is not supported; only \"absolute\" position embeddings are implemented");
        }

        var labels = ReadLabels(root, reader);
        var stExtra = new JsonObject();
        var activation = ReadActivation(root, reader, stExtra, labels.Count);

        var config = new BertConfig
        {
            VocabSize = reader.Int("vocab_size", 30522),
            HiddenSize = reader.Int("hidden_size", 768),
            NumHiddenLayers = reader.Int("num_hidden_layers", 12),
            NumAttentionHeads = reader.Int("num_attention_heads", 12),
            IntermediateSize = reader.Int("intermediate_size", 3072),
            HiddenAct = reader.String("hidden_act", "gelu"),
            HiddenDropoutProb = reader.Double("hidden_dropout_prob", 0.1),
            AttentionProbsDropoutProb = reader.Double("attention_probs_dropout_prob", 0.1),
            ClassifierDropout = reader.NullableDouble("classifier_dropout"),
            MaxPositionEmbeddings = reader.Int("max_position_embeddings", 512),
            TypeVocabSize = reader.Int("type_vocab_size", 2),
            LayerNormEps = reader.Double("layer_norm_eps", 1e-12),
            PadTokenId = reader.Int("pad_token_id", 0),
            InitializerRange = reader.Double("initializer_range", 0.02),
            Labels = labels,
            Architectures = reader.StringArray("architectures"),
            ModelType = reader.String("model_type", "bert"),
            Activation = activation,
            EmbeddingSize = root["embedding_size"] is null ? null : reader.Int("embedding_size", 0),
            UnknownKeys = unknown,
            SentenceTransformersExtra = stExtra,
            SourceKeys = root.Select(p => p.Key).ToHashSet(StringComparer.Ordinal),
        };
        config.Validate(source);
        // ModernBERT's own keys are checked here too, so that their errors name this file rather than the model class.
        if (config.ModelType == "modernbert") ModernBert.ModernBertSettings.From(config, source);
        return config;
    }

    /// <summary>
    /// Checks that every size is positive, the heads divide the hidden size, probabilities lie in
    /// [0, 1) and the activation is supported.
    /// </summary>
    /// <param name="source">The file name used in error messages.</param>
    /// <exception cref="InvalidInputException">A value is invalid; the message names the key and the value.</exception>
    public void Validate(string source)
    {
        void Positive(string key, long value)
        {
            if (value <= 0) throw new InvalidInputException($"Model config '{source}': '{key}' must be a positive integer; got {value}.", source);
        }

        void Probability(string key, double value)
        {
            if (!(value >= 0 && value < 1)) throw new InvalidInputException($"Model config '{source}': '{key}' must be a probability in [0, 1); got {value.ToString(CultureInfo.InvariantCulture)}.", source);
        }

        Positive("vocab_size", VocabSize);
        Positive("hidden_size", HiddenSize);
        Positive("num_hidden_layers", NumHiddenLayers);
        Positive("num_attention_heads", NumAttentionHeads);
        Positive("intermediate_size", IntermediateSize);
        Positive("max_position_embeddings", MaxPositionEmbeddings);
        Positive("type_vocab_size", TypeVocabSize);
        if (EmbeddingSize is { } embeddingSize) Positive("embedding_size", embeddingSize);
        Positive("num_labels", NumLabels);
        if (HiddenSize % NumAttentionHeads != 0)
        {
            throw new InvalidInputException(
                $"Model config '{source}': 'hidden_size' ({HiddenSize}) must be a multiple of 'num_attention_heads' ({NumAttentionHeads}).", source);
        }

        Probability("hidden_dropout_prob", HiddenDropoutProb);
        Probability("attention_probs_dropout_prob", AttentionProbsDropoutProb);
        if (ClassifierDropout is { } classifierDropout) Probability("classifier_dropout", classifierDropout);
        if (!(LayerNormEps > 0)) throw new InvalidInputException($"Model config '{source}': 'layer_norm_eps' must be positive; got {LayerNormEps.ToString(CultureInfo.InvariantCulture)}.", source);
        if (PadTokenId < 0 || PadTokenId >= VocabSize)
        {
            throw new InvalidInputException($"Model config '{source}': 'pad_token_id' ({PadTokenId}) must lie in [0, vocab_size {VocabSize}).", source);
        }

        if (!IsSupportedActivation(HiddenAct))
        {
            throw new InvalidInputException(
                $"Model config '{source}': 'hidden_act' \"{HiddenAct}\" is not supported; use \"gelu\" (exact), \"gelu_new\" or \"gelu_pytorch_tanh\" (tanh approximation), or \"relu\".", source);
        }

        if (!ModelArchitectures.IsSupported(ModelType)) throw ModelArchitectures.Unsupported(source, ModelType, Architectures);
    }

    internal static bool IsSupportedActivation(string name) => name is "gelu" or "gelu_new" or "gelu_pytorch_tanh" or "relu";

    /// <summary>
    /// The config as Hugging Face writes it (for each family only its own keys, see <see cref="KeysOutsideFamily"/>), with <c>id2label</c>/<c>label2id</c>,
    /// <c>num_labels</c>, <c>architectures</c> and the sentence-transformers
    /// <c>activation_fn</c> entry, plus every unknown key of the source file.
    /// </summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(Architectures.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
            ["model_type"] = ModelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["intermediate_size"] = IntermediateSize,
            ["hidden_act"] = HiddenAct,
            ["hidden_dropout_prob"] = HiddenDropoutProb,
            ["attention_probs_dropout_prob"] = AttentionProbsDropoutProb,
            ["classifier_dropout"] = ClassifierDropout,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["type_vocab_size"] = TypeVocabSize,
            ["layer_norm_eps"] = LayerNormEps,
            ["pad_token_id"] = PadTokenId,
            ["initializer_range"] = InitializerRange,
            ["position_embedding_type"] = "absolute",
            ["num_labels"] = NumLabels,
        };
        if (EmbeddingSize is { } embeddingSize) root["embedding_size"] = embeddingSize;
        if (KeysOutsideFamily.TryGetValue(ModelType, out var outside))
        {
            foreach (var key in outside.Where(k => !SourceKeys.Contains(k))) root.Remove(key);
        }

        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (var i = 0; i < Labels.Count; i++)
        {
            id2label[i.ToString(CultureInfo.InvariantCulture)] = Labels[i];
            label2id[Labels[i]] = i;
        }

        root["id2label"] = id2label;
        root["label2id"] = label2id;
        var st = (JsonObject)SentenceTransformersExtra.DeepClone();
        st["activation_fn"] = ActivationClassName(Activation);
        root["sentence_transformers"] = st;
        foreach (var (key, value) in UnknownKeys) root[key] = value?.DeepClone();

        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path) => File.WriteAllText(path, ToJson() + "\n");

    private static List<string> ReadLabels(JsonObject root, Reader reader)
    {
        if (root["id2label"] is JsonObject id2label)
        {
            var byId = new SortedDictionary<int, string>();
            foreach (var (key, value) in id2label)
            {
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    throw reader.Error("id2label", $"key \"{key}\" is not a non-negative integer");
                }

                byId[id] = value is JsonValue v && v.TryGetValue<string>(out var s)
                    ? s
                    : throw reader.Error("id2label", $"label of id {key} is not a string");
            }

            var labels = byId.Values.ToList();
            if (labels.Count == 0 || byId.Keys.Last() != labels.Count - 1)
            {
                throw reader.Error("id2label", "ids must be 0, 1, ..., n-1 with n >= 1");
            }

            if (root["num_labels"] is not null && reader.Int("num_labels", labels.Count) != labels.Count)
            {
                throw reader.Error("num_labels", $"{reader.Int("num_labels", 0)} disagrees with the {labels.Count} entries of 'id2label'");
            }

            return labels;
        }

        if (root["id2label"] is not null) throw reader.Error("id2label", "must be an object mapping ids to label names");
        var count = reader.Int("num_labels", 2);
        if (count <= 0) throw reader.Error("num_labels", $"must be a positive integer; got {count}");
        return Enumerable.Range(0, count).Select(i => $"LABEL_{i}").ToList();
    }

    private static ScoreActivation ReadActivation(JsonObject root, Reader reader, JsonObject stExtra, int numLabels)
    {
        string? className = null;
        string key = "";
        if (root["sentence_transformers"] is JsonObject st)
        {
            foreach (var (k, v) in st)
            {
                if (k != "activation_fn") stExtra[k] = v?.DeepClone();
            }
            if (st["activation_fn"] is { } fn)
            {
                key = "sentence_transformers.activation_fn";
                className = fn is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw reader.Error(key, "must be a class name string");
            }
        }
        else if (root["sentence_transformers"] is not null)
        {
            throw reader.Error("sentence_transformers", "must be an object");
        }

        if (className is null && root["sbert_ce_default_activation_function"] is { } old && old.GetValueKind() != JsonValueKind.Null)
        {
            key = "sbert_ce_default_activation_function";
            className = reader.String(key, "");
        }

        if (className is null) return numLabels == 1 ? ScoreActivation.Sigmoid : ScoreActivation.Identity;
        return className switch
        {
            "torch.nn.modules.activation.Sigmoid" or "torch.nn.Sigmoid" => ScoreActivation.Sigmoid,
            "torch.nn.modules.linear.Identity" or "torch.nn.Identity" => ScoreActivation.Identity,
            _ => throw reader.Error(key, $"\"{className}\" is not supported; use torch.nn.modules.activation.Sigmoid or torch.nn.modules.linear.Identity"),
        };
    }

    /// <summary>Typed access to the keys of one config file, with errors that name the file and key.</summary>
    private sealed class Reader(JsonObject root, string source)
    {
        public InvalidInputException Error(string key, string problem) =>
            new($"Model config '{source}': '{key}' {problem}.", source);

        public int Int(string key, int fallback)
        {
            var node = root[key];
            if (node is null) return fallback;
            if (node is JsonValue v && v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i)) return i;
            throw Error(key, $"must be an integer; got {node.ToJsonString()}");
        }

        public double Double(string key, double fallback) => NullableDouble(key) ?? fallback;

        public double? NullableDouble(string key)
        {
            var node = root[key];
            if (node is null) return null;
            if (node is JsonValue v && v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number) return e.GetDouble();
            throw Error(key, $"must be a number; got {node.ToJsonString()}");
        }

        public string String(string key, string fallback)
        {
            var node = root[key];
            if (node is null) return fallback;
            if (node is JsonValue v && v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.String) return e.GetString()!;
            throw Error(key, $"must be a string; got {node.ToJsonString()}");
        }

        public IReadOnlyList<string> StringArray(string key)
        {
            var node = root[key];
            if (node is null) return [];
            if (node is JsonArray a && a.All(x => x is JsonValue xv && xv.GetValueKind() == JsonValueKind.String))
            {
                return a.Select(x => x!.GetValue<string>()).ToList();
            }

            throw Error(key, $"must be an array of strings; got {node.ToJsonString()}");
        }
    }
}
