using System.Text.Json.Nodes;
using Rerank.Lucene.Modeling.XlmRoberta;
using Rerank.Lucene.Tokenization;
using Rerank.Lucene.Tokenization.ByteLevelBpe;

namespace Rerank.Lucene.Modeling.ModernBert;

/// <summary>ModernBERT (Alibaba-NLP/gte-reranker-modernbert-base): <see cref="ModernBertForSequenceClassification"/> with the byte-level BPE tokenizer of its tokenizer.json.</summary>
internal sealed class ModernBertArchitecture : IModelArchitecture
{
    /// <inheritdoc/>
    public string ModelType => "modernbert";

    /// <inheritdoc/>
    public string ClassName => "ModernBertForSequenceClassification";

    /// <inheritdoc/>
    public string WeightPrefix => "model.";

    /// <inheritdoc/>
    public IReadOnlySet<string> HeadKeys => ModernBertForSequenceClassification.HeadKeys;

    /// <inheritdoc/>
    public int UsablePositions(BertConfig config) => config.MaxPositionEmbeddings;

    /// <inheritdoc/>
    public ISequenceClassifier Create(BertConfig config) => new ModernBertForSequenceClassification(config);

    /// <inheritdoc/>
    public void LoadWeights(ISequenceClassifier model, IReadOnlyDictionary<string, TensorData> weights, string source, ClassifierHeadPolicy headPolicy) =>
        ((ModernBertForSequenceClassification)model).LoadWeights(weights, source, headPolicy);

    /// <inheritdoc/>
    public (IPairTokenizer Tokenizer, int? ModelMaxLength) ReadTokenizer(string folder, BertConfig config)
    {
        var configPath = Path.Combine(folder, BertTokenizerFolder.TokenizerConfigFile);
        var tokenizerConfig = BertTokenizerFolder.ReadObject(configPath) ?? new JsonObject();
        BertTokenizerFolder.CheckTokenizerClass(tokenizerConfig, configPath, ModelType, [], hasTokenizerJson: true);
        var pad = XlmRobertaArchitecture.PadToken(tokenizerConfig, "[PAD]");
        var tokenizer = ByteLevelBpePairEncoder.Load(Path.Combine(folder, BertTokenizerFolder.TokenizerJsonFile), pad, UsablePositions(config));
        if (tokenizer.PadId != config.PadTokenId)
            throw new InvalidInputException(
                $"'{configPath}': the pad token '{pad}' has id {tokenizer.PadId} but config.json's pad_token_id is {config.PadTokenId}; they must agree.",
                configPath);
        return (tokenizer, BertTokenizerFolder.ReadModelMaxLength(tokenizerConfig, configPath));
    }

    /// <inheritdoc/>
    public void Write(string staging, ISequenceClassifier model, IPairTokenizer tokenizer, string sourceFolder, int modelMaxLength, bool float16) =>
        XlmRobertaArchitecture.WriteWithTokenizerFiles(staging, model, ClassName, ModelType, sourceFolder, modelMaxLength, float16);
}
