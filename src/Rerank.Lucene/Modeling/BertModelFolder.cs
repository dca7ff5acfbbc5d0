using System.Text.Json;
using System.Text.Json.Nodes;
using Rerank.Lucene.Output;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// Reads and writes Hugging Face model folders: <c>config.json</c>, <c>model.safetensors</c>
/// (or, read only, <c>pytorch_model.bin</c>), <c>vocab.txt</c>,
/// <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c>.
/// </summary>
internal static class BertModelFolder
{
    /// <summary>The model configuration file.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The weights file this library reads and writes.</summary>
    public const string SafetensorsFile = "model.safetensors";

    /// <summary>The PyTorch pickle weights file older checkpoints carry.</summary>
    public const string PickleFile = "pytorch_model.bin";

    /// <summary>The WordPiece vocabulary.</summary>
    public const string VocabFile = "vocab.txt";

    /// <summary>Tokenizer settings (lower-casing, max length, class).</summary>
    public const string TokenizerConfigFile = "tokenizer_config.json";

    /// <summary>The special tokens.</summary>
    public const string SpecialTokensMapFile = "special_tokens_map.json";

    /// <summary>Reads and validates <c>config.json</c> of <paramref name="folder"/>.</summary>
    public static BertConfig ReadConfig(string folder)
    {
        RequireFiles(folder, weights: false);
        return BertConfig.Load(Path.Combine(folder, ConfigFile));
    }

    /// <summary>
    /// Reads the weights of <paramref name="folder"/> as float32 host tensors in any layout
    /// <see cref="CheckpointFiles"/> reads (single or sharded, safetensors or pytorch_model.bin; pickles are
    /// interpreted without executing them), with legacy LayerNorm names renamed.
    /// </summary>
    /// <returns>The weights and the file they came from.</returns>
    public static (Dictionary<string, TensorData> Weights, string Source) ReadWeights(string folder)
    {
        RequireFiles(folder, weights: true);
        return CheckpointFiles.Read(folder);
    }

    /// <summary>
    /// Loads a cross-encoder (or, with <see cref="ClassifierHeadPolicy.AllowFresh"/>, a bare encoder to
    /// fine-tune) from a Hugging Face folder, on the CPU.
    /// </summary>
    /// <exception cref="InvalidInputException">Files are missing, the config is invalid, or the weights do not match.</exception>
    public static BertForSequenceClassification LoadForSequenceClassification(string folder, ClassifierHeadPolicy headPolicy)
    {
        var config = ReadConfig(folder);
        var (weights, source) = ReadWeights(folder);
        var model = new BertForSequenceClassification(config);
        try
        {
            model.LoadWeights(weights, source, headPolicy);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <summary>
    /// The weights of a BERT cross-encoder folder checked as <see cref="LoadForSequenceClassification"/> with
    /// <see cref="ClassifierHeadPolicy.RequireTrained"/> checks them (family, bare-encoder prefixing, trained head, every key
    /// present with its shape, none unexpected), without building the TorchSharp model: for the ONNX Runtime export, so
    /// that an app that only searches never loads libtorch. Values are exactly those the module would hold (float16 and
    /// bfloat16 files widened to float32 as on loading), under its state-dict keys (ignored buffers dropped).
    /// </summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="config">Its config.json, read by <see cref="ReadConfig"/>; model_type must be "bert".</param>
    /// <returns>The weights by <c>BertForSequenceClassification</c> key, as <see cref="BertForSequenceClassification.ExportWeights"/> gives them.</returns>
    /// <exception cref="InvalidInputException">Files are missing, or the weights do not match or lack the trained head.</exception>
    public static Dictionary<string, TensorData> ReadTrainedBertClassifierWeights(string folder, BertConfig config)
    {
        var (weights, source) = ReadWeights(folder);
        var layout = BertWeightLayout.ForSequenceClassification(config);
        var (mapped, _, allowedMissing) = SequenceClassifierWeights.Prepare(layout.Keys.ToHashSet(StringComparer.Ordinal), weights, source, "bert", "bert.",
            BertForSequenceClassification.HeadKeys, "classifier head", ClassifierHeadPolicy.RequireTrained);
        StrictWeightLoader.Check(layout, nameof(BertForSequenceClassification), mapped, source, allowedMissing);
        return OnlyModelKeys(layout, mapped);
    }

    /// <summary>
    /// Checks the un-prefixed weights of a bare <c>BertModel</c> as <see cref="BertModel.LoadWeights"/> does (every key
    /// present with its shape, none unexpected), without building the TorchSharp model, and returns them under the
    /// module's state-dict keys (ignored buffers dropped), as <see cref="BertModel.ExportWeights"/> would give them.
    /// </summary>
    /// <exception cref="InvalidInputException">The weights do not match.</exception>
    public static Dictionary<string, TensorData> CheckBertModelWeights(BertConfig config, IReadOnlyDictionary<string, TensorData> weights, string source)
    {
        var layout = BertWeightLayout.BertModel(config);
        StrictWeightLoader.Check(layout, nameof(BertModel), weights, source);
        return OnlyModelKeys(layout, weights);
    }

    private static Dictionary<string, TensorData> OnlyModelKeys(Dictionary<string, long[]> layout, IReadOnlyDictionary<string, TensorData> weights) =>
        layout.Keys.ToDictionary(k => k, k => weights[k], StringComparer.Ordinal);

    /// <summary>Loads a bare <see cref="BertModel"/> (un-prefixed keys) from a Hugging Face folder, on the CPU.</summary>
    public static BertModel LoadBertModel(string folder)
    {
        var config = ReadConfig(folder);
        var (weights, source) = ReadWeights(folder);
        var model = new BertModel(config);
        try
        {
            model.LoadWeights(weights, source);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <summary>
    /// Writes <paramref name="model"/> as a Hugging Face <c>BertForSequenceClassification</c> folder,
    /// atomically: everything goes to a hidden sibling folder that is then renamed into place. The tokenizer
    /// files state the tokenizer's own settings (a cased base stays cased) and <c>model_max_length</c>
    /// <see cref="BertFolderSaveOptions.ModelMaxLength"/>, the length sentence-transformers' CrossEncoder truncates to.
    /// </summary>
    /// <exception cref="InvalidInputException">The target exists and <see cref="BertFolderSaveOptions.Overwrite"/> is false.</exception>
    public static void Save(string folder, BertForSequenceClassification model, BertFolderSaveOptions options)
    {
        var target = Path.GetFullPath(folder);
        OutputTarget.CheckFolder(target, OutputKind.ModelFolder, options.Overwrite);

        WriteAtomically(target, temp => WriteContents(temp, model, options.Tokenizer, options.ModelMaxLength, options.Float16),
            () => OutputTarget.CheckFolder(target, OutputKind.ModelFolder, options.Overwrite));
    }

    /// <summary>Writes the files of a BERT cross-encoder folder into <paramref name="temp"/> (see <see cref="Save"/>).</summary>
    internal static void WriteContents(string temp, BertForSequenceClassification model, Tokenization.BertPairEncoder tokenizer, int modelMaxLength, bool float16)
    {
        var config = model.Config with { Architectures = ["BertForSequenceClassification"], ModelType = "bert" };
        config.Save(Path.Combine(temp, ConfigFile));
        SafeTensors.Write(Path.Combine(temp, SafetensorsFile), model.ExportWeights(), float16 ? SafeTensorsDType.F16 : SafeTensorsDType.F32);
        File.WriteAllText(Path.Combine(temp, VocabFile), string.Concat(tokenizer.VocabularyTokens().Select(t => t + "\n")), new System.Text.UTF8Encoding(false));
        WriteTokenizerFiles(temp, modelMaxLength, tokenizer.Options);
    }

    /// <summary>
    /// Loads the classification model of a folder of any supported architecture (config.json's model_type), on the CPU.
    /// </summary>
    /// <exception cref="InvalidInputException">Files are missing, the architecture is unsupported, or the weights do not match.</exception>
    public static (IModelArchitecture Architecture, ISequenceClassifier Model) LoadClassifier(string folder, ClassifierHeadPolicy headPolicy)
    {
        var config = ReadConfig(folder);
        var architecture = ModelArchitectures.For(config);
        var (weights, source) = ReadWeights(folder);
        var model = architecture.Create(config);
        try
        {
            architecture.LoadWeights(model, weights, source, headPolicy);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return (architecture, model);
    }

    /// <summary>
    /// Writes a model of any architecture as a Hugging Face folder in its own layout, atomically; the tokenizer
    /// files come from <paramref name="sourceFolder"/> (the folder the model was loaded from) and
    /// <c>model_max_length</c> is <paramref name="modelMaxLength"/>.
    /// </summary>
    /// <exception cref="InvalidInputException">The target may not be replaced (see <see cref="OutputTarget"/>).</exception>
    public static void SaveClassifier(string folder, IModelArchitecture architecture, ISequenceClassifier model, Tokenization.IPairTokenizer tokenizer,
        string sourceFolder, int modelMaxLength, bool float16, bool overwrite)
    {
        var target = Path.GetFullPath(folder);
        OutputTarget.CheckFolder(target, OutputKind.ModelFolder, overwrite);
        WriteAtomically(target, temp => architecture.Write(temp, model, tokenizer, sourceFolder, modelMaxLength, float16),
            () => OutputTarget.CheckFolder(target, OutputKind.ModelFolder, overwrite));
    }

    /// <summary>Writes a model folder atomically: see <see cref="AtomicFolder.Write"/>.</summary>
    internal static void WriteAtomically(string target, Action<string> write, Action? recheck = null) =>
        AtomicFolder.Write(target, write, recheck);

    /// <summary>
    /// Writes <c>tokenizer_config.json</c> (BERT WordPiece with <paramref name="settings"/>, default uncased;
    /// <paramref name="modelMaxLength"/>) and <c>special_tokens_map.json</c> into <paramref name="directory"/>.
    /// </summary>
    internal static void WriteTokenizerFiles(string directory, int modelMaxLength, Tokenization.BertEncoderOptions? settings = null, string tokenizerClass = "BertTokenizer")
    {
        settings ??= new Tokenization.BertEncoderOptions();
        WriteJson(Path.Combine(directory, TokenizerConfigFile), TokenizerConfig(modelMaxLength, settings, tokenizerClass));
        WriteJson(Path.Combine(directory, SpecialTokensMapFile), SpecialTokens(settings));
    }

    /// <summary>The special tokens every uncased BERT vocabulary must hold, by their tokenizer_config key.</summary>
    internal static IReadOnlyList<(string Key, string Token)> SpecialTokenNames { get; } =
    [
        ("unk_token", "[UNK]"), ("sep_token", "[SEP]"), ("pad_token", "[PAD]"), ("cls_token", "[CLS]"), ("mask_token", "[MASK]"),
    ];

    private static void RequireFiles(string folder, bool weights)
    {
        if (!Directory.Exists(folder)) throw new InvalidInputException($"Model folder '{folder}' does not exist.", folder);
        var missing = new List<string>();
        if (!File.Exists(Path.Combine(folder, ConfigFile))) missing.Add(ConfigFile);
        if (weights && !CheckpointFiles.Exist(folder))
        {
            missing.Add($"{SafetensorsFile} (or {CheckpointFiles.SafetensorsIndex} with its shards, {PickleFile}, {CheckpointFiles.PickleIndex})");
        }

        if (missing.Count > 0)
        {
            throw new InvalidInputException(
                $"Model folder '{folder}' is missing {string.Join(" and ", missing)}; a Hugging Face model folder needs config.json and its weights.",
                folder);
        }
    }

    private static JsonObject SpecialTokens(Tokenization.BertEncoderOptions settings)
    {
        var tokens = new JsonObject
        {
            ["unk_token"] = settings.UnkToken, ["sep_token"] = settings.SepToken, ["pad_token"] = settings.PadToken,
            ["cls_token"] = settings.ClsToken, ["mask_token"] = settings.MaskToken,
        };
        if (settings.AdditionalSpecialTokens.Count > 0)
            tokens["additional_special_tokens"] = new JsonArray(settings.AdditionalSpecialTokens.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        return tokens;
    }

    private static JsonObject TokenizerConfig(int modelMaxLength, Tokenization.BertEncoderOptions settings, string tokenizerClass)
    {
        var config = SpecialTokens(settings);
        config["do_lower_case"] = settings.Lowercase;
        config["strip_accents"] = settings.StripAccents;
        config["tokenize_chinese_chars"] = settings.TokenizeChineseChars;
        config["model_max_length"] = modelMaxLength;
        config["tokenizer_class"] = tokenizerClass;
        return config;
    }

    private static void WriteJson(string path, JsonObject json) =>
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
