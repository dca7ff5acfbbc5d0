using Rerank.Lucene.Modeling.XlmRoberta;
using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// One supported model family: how to build its classification model, read its tokenizer and write its folder.
/// Adding an architecture is adding an implementation of this interface (plus its model and tokenizer classes)
/// to <see cref="ModelArchitectures.All"/>; the cross-encoder and the trainer only talk to these interfaces.
/// </summary>
internal interface IModelArchitecture
{
    /// <summary>config.json's <c>model_type</c> (e.g. "bert", "xlm-roberta").</summary>
    string ModelType { get; }

    /// <summary>The Hugging Face class a cross-encoder of this family is (e.g. "XLMRobertaForSequenceClassification").</summary>
    string ClassName { get; }

    /// <summary>The prefix of the encoder's state-dict keys in a checkpoint of this family's ForSequenceClassification class
    /// (Hugging Face's <c>base_model_prefix</c> plus "."; e.g. "bert.", "roberta.").</summary>
    string WeightPrefix { get; }

    /// <summary>The classification head's state-dict keys.</summary>
    IReadOnlySet<string> HeadKeys { get; }

    /// <summary>The longest encoding the model reads (max_position_embeddings, less XLM-R's padding offset).</summary>
    int UsablePositions(BertConfig config);

    /// <summary>A randomly initialised model (Hugging Face initialisation, seeded through torch's global generator).</summary>
    ISequenceClassifier Create(BertConfig config);

    /// <summary>Loads <paramref name="weights"/> into <paramref name="model"/> strictly; see <see cref="ClassifierHeadPolicy"/>.</summary>
    void LoadWeights(ISequenceClassifier model, IReadOnlyDictionary<string, TensorData> weights, string source, ClassifierHeadPolicy headPolicy);

    /// <summary>The folder's tokenizer and its <c>model_max_length</c> (null when it sets none).</summary>
    (IPairTokenizer Tokenizer, int? ModelMaxLength) ReadTokenizer(string folder, BertConfig config);

    /// <summary>
    /// Writes <paramref name="model"/> in this family's Hugging Face layout into the empty staging folder
    /// <paramref name="staging"/> (the caller renames it into place): config.json, model.safetensors and the
    /// tokenizer files of <paramref name="sourceFolder"/> with <c>model_max_length</c> <paramref name="modelMaxLength"/>.
    /// </summary>
    void Write(string staging, ISequenceClassifier model, IPairTokenizer tokenizer, string sourceFolder, int modelMaxLength, bool float16);
}

/// <summary>
/// The model families (Hugging Face <c>model_type</c>) this library loads, and the one message for the rest.
/// </summary>
internal static class ModelArchitectures
{
    /// <summary>Every supported architecture.</summary>
    public static IReadOnlyList<IModelArchitecture> All { get; } = [new BertArchitecture(), new XlmRobertaArchitecture(), new Electra.ElectraArchitecture(), new ModernBert.ModernBertArchitecture()];

    /// <summary>Supported <c>model_type</c> values with the Hugging Face class each loads as.</summary>
    public static IReadOnlyList<(string ModelType, string ClassName)> Supported { get; } = All.Select(a => (a.ModelType, a.ClassName)).ToList();

    /// <summary>True when <paramref name="modelType"/> is one of <see cref="Supported"/>.</summary>
    public static bool IsSupported(string modelType) => All.Any(s => s.ModelType == modelType);

    /// <summary>The architecture of <paramref name="config"/>.</summary>
    public static IModelArchitecture For(BertConfig config) =>
        All.FirstOrDefault(a => a.ModelType == config.ModelType) ?? throw Unsupported("config.json", config.ModelType, config.Architectures);

    /// <summary>
    /// Refuses weights of another family than config.json's <c>model_type</c>: when no key carries
    /// <paramref name="modelType"/>'s <see cref="IModelArchitecture.WeightPrefix"/> but keys carry another supported
    /// family's, config.json and the weights disagree (e.g. a BERT checkpoint under <c>model_type: electra</c>), which
    /// would otherwise read as a checkpoint without its head. Un-prefixed (bare encoder) weights are not judged here.
    /// </summary>
    /// <exception cref="InvalidInputException">The weights are another family's checkpoint; names both and the fix.</exception>
    public static void CheckWeightsFamily(string modelType, IReadOnlyCollection<string> keys, string source)
    {
        var own = All.First(a => a.ModelType == modelType);
        if (keys.Any(k => k.StartsWith(own.WeightPrefix, StringComparison.Ordinal))) return;
        var other = All.Where(a => a != own)
            .Select(a => (Architecture: a, Count: keys.Count(k => k.StartsWith(a.WeightPrefix, StringComparison.Ordinal))))
            .Where(x => x.Count > 0).OrderByDescending(x => x.Count).Select(x => x.Architecture).FirstOrDefault();
        if (other is null) return;
        var configPath = Path.Combine(Path.GetDirectoryName(source) ?? ".", "config.json");
        throw new InvalidInputException(
            $"'{configPath}' says model_type \"{modelType}\" but the weights '{source}' are a {other.ModelType} checkpoint (keys start with \"{other.WeightPrefix}\"): "
            + $"set \"model_type\": \"{other.ModelType}\" and \"architectures\": [\"{other.ClassName}\"] with that model's own settings in config.json, or use the config.json that came with these weights.",
            configPath);
    }

    /// <summary>The refusal for an unsupported model family, naming what is supported.</summary>
    /// <param name="source">The config.json read.</param>
    /// <param name="modelType">Its <c>model_type</c>.</param>
    /// <param name="architectures">Its <c>architectures</c> (may be empty).</param>
    public static InvalidInputException Unsupported(string source, string modelType, IReadOnlyList<string> architectures) =>
        new($"Model config '{source}': architecture \"{modelType}\"{(architectures.Count > 0 ? $" ({string.Join(", ", architectures)})" : "")} is not supported; "
            + $"supported: {string.Join(", ", Supported.Select(s => $"{s.ModelType} ({s.ClassName})"))}.",
            source);
}
