using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Modeling.Electra;

/// <summary>ELECTRA (cross-encoder/ms-marco-electra-base): <see cref="ElectraForSequenceClassification"/> with BERT's WordPiece tokenizer (ElectraTokenizer is BertTokenizer).</summary>
internal sealed class ElectraArchitecture : IModelArchitecture
{
    /// <inheritdoc/>
    public string ModelType => "electra";

    /// <inheritdoc/>
    public string ClassName => "ElectraForSequenceClassification";

    /// <inheritdoc/>
    public string WeightPrefix => "electra.";

    /// <inheritdoc/>
    public IReadOnlySet<string> HeadKeys => ElectraForSequenceClassification.HeadKeys;

    /// <inheritdoc/>
    public int UsablePositions(BertConfig config) => config.MaxPositionEmbeddings;

    /// <inheritdoc/>
    public ISequenceClassifier Create(BertConfig config) => new ElectraForSequenceClassification(config);

    /// <inheritdoc/>
    public void LoadWeights(ISequenceClassifier model, IReadOnlyDictionary<string, TensorData> weights, string source, ClassifierHeadPolicy headPolicy) =>
        ((ElectraForSequenceClassification)model).LoadWeights(weights, source, headPolicy);

    /// <inheritdoc/>
    public (IPairTokenizer Tokenizer, int? ModelMaxLength) ReadTokenizer(string folder, BertConfig config) =>
        BertTokenizerFolder.Read(folder, config.MaxPositionEmbeddings, ModelType, ["ElectraTokenizer", "ElectraTokenizerFast"]);

    /// <inheritdoc/>
    public void Write(string staging, ISequenceClassifier model, IPairTokenizer tokenizer, string sourceFolder, int modelMaxLength, bool float16)
    {
        var config = model.Config with { Architectures = [ClassName], ModelType = ModelType };
        config.Save(Path.Combine(staging, BertModelFolder.ConfigFile));
        SafeTensors.Write(Path.Combine(staging, BertModelFolder.SafetensorsFile), model.ExportWeights(), float16 ? SafeTensorsDType.F16 : SafeTensorsDType.F32);
        var wordPiece = (BertPairEncoder)tokenizer;
        File.WriteAllText(Path.Combine(staging, BertModelFolder.VocabFile), string.Concat(wordPiece.VocabularyTokens().Select(t => t + "\n")), new System.Text.UTF8Encoding(false));
        BertModelFolder.WriteTokenizerFiles(staging, modelMaxLength, wordPiece.Options, "ElectraTokenizer");
    }
}
