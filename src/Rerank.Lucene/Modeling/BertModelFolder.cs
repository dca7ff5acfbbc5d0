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
    /// Reads the weights of <paramref name="folder"/> as float32 host tensors: model.safetensors when
    /// present (as Hugging Face prefers it), otherwise pytorch_model.bin through
    /// <see cref="PyTorchCheckpoint"/>, which interprets the state dict without executing the pickle.
    /// </summary>
    /// <returns>The weights and the file they came from.</returns>
    public static (Dictionary<string, TensorData> Weights, string Source) ReadWeights(string folder)
    {
        RequireFiles(folder, weights: true);
        var safetensors = Path.Combine(folder, SafetensorsFile);
        if (File.Exists(safetensors)) return (SafeTensors.Read(safetensors), safetensors);
        var pickle = Path.Combine(folder, PickleFile);
        return (PyTorchCheckpoint.Read(pickle), pickle);
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
    /// atomically: everything goes to a hidden sibling folder that is then renamed into place.
    /// </summary>
    /// <exception cref="InvalidInputException">The target exists and <see cref="BertFolderSaveOptions.Overwrite"/> is false, or the vocabulary is missing.</exception>
    public static void Save(string folder, BertForSequenceClassification model, BertFolderSaveOptions options)
    {
        var target = Path.GetFullPath(folder);
        OutputTarget.CheckFolder(target, OutputKind.ModelFolder, options.Overwrite);

        if (!File.Exists(options.VocabPath)) throw new InvalidInputException($"Vocabulary '{options.VocabPath}' does not exist.", options.VocabPath);
        WriteAtomically(target, temp =>
        {
            var config = model.Config with { Architectures = ["BertForSequenceClassification"], ModelType = "bert" };
            config.Save(Path.Combine(temp, ConfigFile));
            SafeTensors.Write(Path.Combine(temp, SafetensorsFile), model.ExportWeights(), options.Float16 ? SafeTensorsDType.F16 : SafeTensorsDType.F32);
            File.Copy(options.VocabPath, Path.Combine(temp, VocabFile));
            WriteTokenizerFiles(temp, options.ModelMaxLength);
        }, () => OutputTarget.CheckFolder(target, OutputKind.ModelFolder, options.Overwrite));
    }

    /// <summary>Writes a model folder atomically: see <see cref="AtomicFolder.Write"/>.</summary>
    internal static void WriteAtomically(string target, Action<string> write, Action? recheck = null) =>
        AtomicFolder.Write(target, write, recheck);

    /// <summary>
    /// Writes <c>tokenizer_config.json</c> (uncased BERT WordPiece, <paramref name="modelMaxLength"/>)
    /// and <c>special_tokens_map.json</c> into <paramref name="directory"/>.
    /// </summary>
    internal static void WriteTokenizerFiles(string directory, int modelMaxLength)
    {
        WriteJson(Path.Combine(directory, TokenizerConfigFile), TokenizerConfig(modelMaxLength));
        WriteJson(Path.Combine(directory, SpecialTokensMapFile), SpecialTokens());
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
        if (weights && !File.Exists(Path.Combine(folder, SafetensorsFile)) && !File.Exists(Path.Combine(folder, PickleFile)))
        {
            missing.Add($"{SafetensorsFile} (or {PickleFile})");
        }

        if (missing.Count > 0)
        {
            throw new InvalidInputException(
                $"Model folder '{folder}' is missing {string.Join(" and ", missing)}; a Hugging Face BERT folder needs config.json and model.safetensors.",
                folder);
        }
    }

    private static JsonObject SpecialTokens()
    {
        var tokens = new JsonObject();
        foreach (var (key, token) in SpecialTokenNames) tokens[key] = token;
        return tokens;
    }

    private static JsonObject TokenizerConfig(int modelMaxLength)
    {
        var config = SpecialTokens();
        config["do_lower_case"] = true;
        config["strip_accents"] = null;
        config["tokenize_chinese_chars"] = true;
        config["model_max_length"] = modelMaxLength;
        config["tokenizer_class"] = "BertTokenizer";
        return config;
    }

    private static void WriteJson(string path, JsonObject json) =>
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
