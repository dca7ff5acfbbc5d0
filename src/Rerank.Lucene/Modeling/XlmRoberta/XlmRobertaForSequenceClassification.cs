using TorchSharp.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling.XlmRoberta;

/// <summary>
/// Hugging Face <c>XLMRobertaForSequenceClassification</c> (bge-reranker-base/-large/-v2-m3,
/// mmarco-mMiniLMv2): keys <c>roberta.embeddings.*</c> (<see cref="XlmRobertaEmbeddings"/>),
/// <c>roberta.encoder.layer.N.*</c> (BERT's layers, <see cref="BertEncoder"/>), no pooler, and the
/// <see cref="RobertaClassificationHead"/> <c>classifier.dense.*</c>, <c>classifier.out_proj.*</c> on <c>&lt;s&gt;</c>.
/// Logits [B, num_labels].
/// </summary>
internal sealed class XlmRobertaForSequenceClassification : nn.Module<Tensor, Tensor, Tensor, Tensor>, ISequenceClassifier
{
    /// <summary>The head's state-dict keys.</summary>
    public static readonly IReadOnlySet<string> HeadKeys = new HashSet<string>
    {
        "classifier.dense.weight", "classifier.dense.bias", "classifier.out_proj.weight", "classifier.out_proj.bias",
    };

    [ComponentName(Name = "roberta")]
    private readonly XlmRobertaModel _roberta;

    [ComponentName(Name = "classifier")]
    private readonly RobertaClassificationHead _classifier;

    /// <summary>Builds a randomly initialised model on the CPU (Hugging Face initialisation).</summary>
    public XlmRobertaForSequenceClassification(BertConfig config) : base(nameof(XlmRobertaForSequenceClassification))
    {
        config.Validate("XLMRobertaConfig");
        Config = config;
        _roberta = new XlmRobertaModel(config);
        _classifier = new RobertaClassificationHead(config, x => x.tanh());
        RegisterComponents();
        BertInitializer.Apply(this, config.InitializerRange);
    }

    /// <inheritdoc/>
    public BertConfig Config { get; }

    /// <inheritdoc/>
    public nn.Module Module => this;

    /// <inheritdoc/>
    public bool HasTrainedHead { get; private set; }

    /// <summary>
    /// Positions the model can read: max_position_embeddings − pad_token_id − 1 (514 − 2 = 512 for bge-reranker-base),
    /// since positions start after the padding index.
    /// </summary>
    public static int UsablePositions(BertConfig config) => config.MaxPositionEmbeddings - config.PadTokenId - 1;

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = _roberta.forward(inputIds, tokenTypeIds, attentionMask);
        return _classifier.forward(hidden).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Logits(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) => forward(inputIds, tokenTypeIds, attentionMask);

    /// <summary>
    /// Loads a state dict strictly (missing, unexpected and mis-shaped keys listed). Keys of a bare
    /// <c>XLMRobertaModel</c> (no <c>roberta.</c> prefix) or of the masked-LM checkpoint (<c>roberta.*</c> plus
    /// <c>lm_head.*</c>, which is not a ranking head and is refused as unexpected) are accepted only as far as strictness allows;
    /// when the head is absent, <paramref name="headPolicy"/> decides as for BERT.
    /// </summary>
    /// <exception cref="InvalidInputException">Keys or shapes do not match, or the head is required and absent.</exception>
    public void LoadWeights(IReadOnlyDictionary<string, TensorData> weights, string source, ClassifierHeadPolicy headPolicy)
    {
        HasTrainedHead = SequenceClassifierWeights.Load(this, weights, source, "xlm-roberta", "roberta.", HeadKeys, "classification head", headPolicy);
    }

    /// <inheritdoc/>
    public void InitializeFreshHead(long seed)
    {
        SequenceClassifierWeights.InitializeLinear(_classifier.OutProj, seed, Config.InitializerRange);
        HasTrainedHead = false;
    }

    /// <inheritdoc/>
    public void MarkHeadTrained() => HasTrainedHead = true;

    /// <inheritdoc/>
    public Dictionary<string, TensorData> ExportWeights() => StrictWeightLoader.Export(this);

    /// <inheritdoc/>
    public void UseBFloat16() => this.to(ScalarType.BFloat16);
}

/// <summary>Hugging Face <c>XLMRobertaModel</c> without its pooler (keys <c>embeddings.*</c>, <c>encoder.layer.N.*</c>).</summary>
internal sealed class XlmRobertaModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "embeddings")]
    private readonly XlmRobertaEmbeddings _embeddings;

    [ComponentName(Name = "encoder")]
    private readonly BertEncoder _encoder;

    private readonly BertConfig _config;

    public XlmRobertaModel(BertConfig config) : base(nameof(XlmRobertaModel))
    {
        _config = config;
        _embeddings = new XlmRobertaEmbeddings(config);
        _encoder = new BertEncoder(config);
        RegisterComponents();
    }

    /// <summary>The last hidden state [B, L, H].</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var batch = inputIds.shape[0];
        var length = inputIds.shape[1];
        if (length > XlmRobertaForSequenceClassification.UsablePositions(_config))
            throw new ArgumentException($"Sequence length {length} exceeds the {XlmRobertaForSequenceClassification.UsablePositions(_config)} usable positions; truncate the input.", nameof(inputIds));
        var keyMask = attentionMask.to(ScalarType.Bool).view(batch, 1, 1, length);
        var hidden = _embeddings.forward(inputIds, tokenTypeIds);
        return _encoder.forward(hidden, keyMask).MoveToOuterDisposeScope();
    }
}
