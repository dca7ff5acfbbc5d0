using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Modeling;

/// <summary>BERT (and MiniLM, TinyBERT: the ms-marco cross-encoders): <see cref="BertForSequenceClassification"/> with the WordPiece <see cref="BertPairEncoder"/>.</summary>
internal sealed class BertArchitecture : IModelArchitecture
{
    /// <inheritdoc/>
    public string ModelType => "bert";

    /// <inheritdoc/>
    public string ClassName => "BertForSequenceClassification";

    /// <inheritdoc/>
    public string WeightPrefix => "bert.";

    /// <inheritdoc/>
    public IReadOnlySet<string> HeadKeys => BertForSequenceClassification.HeadKeys;

    /// <inheritdoc/>
    public int UsablePositions(BertConfig config) => config.MaxPositionEmbeddings;

    /// <inheritdoc/>
    public ISequenceClassifier Create(BertConfig config) => new BertForSequenceClassification(config);

    /// <inheritdoc/>
    public void LoadWeights(ISequenceClassifier model, IReadOnlyDictionary<string, TensorData> weights, string source, ClassifierHeadPolicy headPolicy) =>
        ((BertForSequenceClassification)model).LoadWeights(weights, source, headPolicy);

    /// <inheritdoc/>
    public (IPairTokenizer Tokenizer, int? ModelMaxLength) ReadTokenizer(string folder, BertConfig config) =>
        BertTokenizerFolder.Read(folder, config.MaxPositionEmbeddings, ModelType, BertTokenizerFolder.BertTokenizerClasses);

    /// <inheritdoc/>
    public void Write(string staging, ISequenceClassifier model, IPairTokenizer tokenizer, string sourceFolder, int modelMaxLength, bool float16) =>
        BertModelFolder.WriteContents(staging, (BertForSequenceClassification)model, (BertPairEncoder)tokenizer, modelMaxLength, float16);
}
