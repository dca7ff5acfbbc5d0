using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using Rerank.Lucene.Modeling.XlmRoberta;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling.Electra;

/// <summary>
/// Hugging Face <c>ElectraForSequenceClassification</c> (cross-encoder/ms-marco-electra-base): keys
/// <c>electra.embeddings.*</c> (BERT's embeddings at <c>embedding_size</c>), <c>electra.embeddings_project.*</c>
/// (a linear map to the hidden size, present only when embedding_size differs from hidden_size),
/// <c>electra.encoder.layer.N.*</c> (BERT's layers), no pooler, and <c>ElectraClassificationHead</c>
/// <c>classifier.dense.*</c>, <c>classifier.out_proj.*</c>: RoBERTa's head with GELU on the first token. Logits [B, num_labels].
/// </summary>
internal sealed class ElectraForSequenceClassification : nn.Module<Tensor, Tensor, Tensor, Tensor>, ISequenceClassifier
{
    /// <summary>The head's state-dict keys.</summary>
    public static readonly IReadOnlySet<string> HeadKeys = XlmRobertaForSequenceClassification.HeadKeys;

    [ComponentName(Name = "electra")]
    private readonly ElectraModel _electra;

    [ComponentName(Name = "classifier")]
    private readonly RobertaClassificationHead _classifier;

    /// <summary>Builds a randomly initialised model on the CPU (Hugging Face initialisation).</summary>
    public ElectraForSequenceClassification(BertConfig config) : base(nameof(ElectraForSequenceClassification))
    {
        config.Validate("ElectraConfig");
        Config = config;
        _electra = new ElectraModel(config);
        // ElectraClassificationHead applies the exact GELU whatever hidden_act says.
        _classifier = new RobertaClassificationHead(config, x => nn.functional.gelu(x));
        RegisterComponents();
        BertInitializer.Apply(this, config.InitializerRange);
    }

    /// <inheritdoc/>
    public BertConfig Config { get; }

    /// <inheritdoc/>
    public nn.Module Module => this;

    /// <inheritdoc/>
    public bool HasTrainedHead { get; private set; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = _electra.forward(inputIds, tokenTypeIds, attentionMask);
        return _classifier.forward(hidden).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Logits(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) => forward(inputIds, tokenTypeIds, attentionMask);

    /// <summary>
    /// Loads a state dict strictly (missing, unexpected and mis-shaped keys listed); keys of a bare <c>ElectraModel</c>
    /// (no <c>electra.</c> prefix) are prefixed. When the head is absent, <paramref name="headPolicy"/> decides as for BERT.
    /// </summary>
    /// <exception cref="InvalidInputException">Keys or shapes do not match, or the head is required and absent.</exception>
    public void LoadWeights(IReadOnlyDictionary<string, TensorData> weights, string source, ClassifierHeadPolicy headPolicy)
    {
        HasTrainedHead = SequenceClassifierWeights.Load(this, weights, source, "electra", "electra.", HeadKeys, "classification head", headPolicy);
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

/// <summary>Hugging Face <c>ElectraModel</c> (keys <c>embeddings.*</c>, optional <c>embeddings_project.*</c>, <c>encoder.layer.N.*</c>).</summary>
internal sealed class ElectraModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "embeddings")]
    private readonly BertEmbeddings _embeddings;

    [ComponentName(Name = "embeddings_project")]
    private readonly Linear? _project;

    [ComponentName(Name = "encoder")]
    private readonly BertEncoder _encoder;

    private readonly BertConfig _config;

    public ElectraModel(BertConfig config) : base(nameof(ElectraModel))
    {
        _config = config;
        var width = config.EmbeddingSize ?? config.HiddenSize;
        _embeddings = new BertEmbeddings(config, width);
        if (width != config.HiddenSize) _project = nn.Linear(width, config.HiddenSize);
        _encoder = new BertEncoder(config);
        RegisterComponents();
    }

    /// <summary>The last hidden state [B, L, H].</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var batch = inputIds.shape[0];
        var length = inputIds.shape[1];
        if (length > _config.MaxPositionEmbeddings)
            throw new ArgumentException($"Sequence length {length} exceeds max_position_embeddings {_config.MaxPositionEmbeddings}; truncate the input.", nameof(inputIds));
        var keyMask = attentionMask.to(ScalarType.Bool).view(batch, 1, 1, length);
        var hidden = _embeddings.forward(inputIds, tokenTypeIds);
        if (_project is not null) hidden = _project.forward(hidden);
        return _encoder.forward(hidden, keyMask).MoveToOuterDisposeScope();
    }
}
