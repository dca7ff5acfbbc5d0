using TorchSharp.Utils;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rerank.Lucene.Tokenization;
using Rerank.Lucene.Tokenization.SentencePiece;

namespace Rerank.Lucene.Modeling.XlmRoberta;

/// <summary>
/// XLM-RoBERTa (bge-reranker family, mmarco-mMiniLMv2): <see cref="XlmRobertaForSequenceClassification"/> with the
/// SentencePiece <see cref="UnigramPairEncoder"/> read from tokenizer.json.
/// </summary>
internal sealed class XlmRobertaArchitecture : IModelArchitecture
{
    /// <summary>Tokenizer files copied unchanged when a folder is written back.</summary>
    private static readonly string[] TokenizerFiles = ["tokenizer.json", "sentencepiece.bpe.model", "special_tokens_map.json"];

    /// <inheritdoc/>
    public string ModelType => "xlm-roberta";

    /// <inheritdoc/>
    public string ClassName => "XLMRobertaForSequenceClassification";

    /// <inheritdoc/>
    public string WeightPrefix => "roberta.";

    /// <inheritdoc/>
    public IReadOnlySet<string> HeadKeys => XlmRobertaForSequenceClassification.HeadKeys;

    /// <inheritdoc/>
    public int UsablePositions(BertConfig config) => XlmRobertaForSequenceClassification.UsablePositions(config);

    /// <inheritdoc/>
    public ISequenceClassifier Create(BertConfig config) => new XlmRobertaForSequenceClassification(config);

    /// <inheritdoc/>
    public void LoadWeights(ISequenceClassifier model, IReadOnlyDictionary<string, TensorData> weights, string source, ClassifierHeadPolicy headPolicy) =>
        ((XlmRobertaForSequenceClassification)model).LoadWeights(weights, source, headPolicy);

    /// <inheritdoc/>
    public (IPairTokenizer Tokenizer, int? ModelMaxLength) ReadTokenizer(string folder, BertConfig config)
    {
        var configPath = Path.Combine(folder, BertTokenizerFolder.TokenizerConfigFile);
        var tokenizerConfig = BertTokenizerFolder.ReadObject(configPath) ?? new JsonObject();
        BertTokenizerFolder.CheckTokenizerClass(tokenizerConfig, configPath, ModelType, ["XLMRobertaTokenizer", "XLMRobertaTokenizerFast"], hasTokenizerJson: true);
        var pad = PadToken(tokenizerConfig, "<pad>");
        var tokenizer = UnigramPairEncoder.Load(Path.Combine(folder, BertTokenizerFolder.TokenizerJsonFile), pad, UsablePositions(config));
        if (tokenizer.PadId != config.PadTokenId)
            throw new InvalidInputException(
                $"'{configPath}': the pad token '{pad}' has id {tokenizer.PadId} but config.json's pad_token_id is {config.PadTokenId}; positions are counted from the padding id, so they must agree.",
                configPath);
        return (tokenizer, BertTokenizerFolder.ReadModelMaxLength(tokenizerConfig, configPath));
    }

    /// <inheritdoc/>
    public void Write(string staging, ISequenceClassifier model, IPairTokenizer tokenizer, string sourceFolder, int modelMaxLength, bool float16) =>
        WriteWithTokenizerFiles(staging, model, ClassName, ModelType, sourceFolder, modelMaxLength, float16);

    /// <summary>
    /// Writes config.json and model.safetensors, copies the tokenizer files of <paramref name="sourceFolder"/> unchanged
    /// and its tokenizer_config.json with <c>model_max_length</c> set: the layout of architectures whose tokenizer lives
    /// in tokenizer.json.
    /// </summary>
    internal static void WriteWithTokenizerFiles(string staging, ISequenceClassifier model, string className, string modelType, string sourceFolder, int modelMaxLength, bool float16)
    {
        var config = model.Config with { Architectures = [className], ModelType = modelType };
        config.Save(Path.Combine(staging, BertModelFolder.ConfigFile));
        SafeTensors.Write(Path.Combine(staging, BertModelFolder.SafetensorsFile), model.ExportWeights(), float16 ? SafeTensorsDType.F16 : SafeTensorsDType.F32);
        foreach (var file in TokenizerFiles)
        {
            var from = Path.Combine(sourceFolder, file);
            if (File.Exists(from)) File.Copy(from, Path.Combine(staging, file));
        }

        var tokenizerConfig = BertTokenizerFolder.ReadObject(Path.Combine(sourceFolder, BertTokenizerFolder.TokenizerConfigFile)) ?? new JsonObject();
        tokenizerConfig["model_max_length"] = modelMaxLength;
        File.WriteAllText(Path.Combine(staging, BertTokenizerFolder.TokenizerConfigFile), tokenizerConfig.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>The pad token named by tokenizer_config.json (a string or an AddedToken object), else <paramref name="fallback"/>.</summary>
    internal static string PadToken(JsonObject tokenizerConfig, string fallback) => tokenizerConfig["pad_token"] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonObject o when o["content"] is JsonValue c => c.GetValue<string>(),
        _ => fallback,
    };
}
