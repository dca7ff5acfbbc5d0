using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// Hugging Face <c>BertForSequenceClassification</c> (keys <c>bert.*</c>, <c>classifier.weight</c>,
/// <c>classifier.bias</c>): logits = classifier(dropout(pooler output)), [B, num_labels]. A
/// cross-encoder has one label and scores a (query, document) pair by its logit.
/// </summary>
/// <remarks>
/// <see cref="HasTrainedHead"/> says whether the classifier weights came from a checkpoint. A model
/// built by the constructor, or loaded from an encoder-only checkpoint with
/// <see cref="ClassifierHeadPolicy.AllowFresh"/>, has a random head: fine to train, forbidden to rank with.
/// </remarks>
internal sealed class BertForSequenceClassification : nn.Module<Tensor, Tensor?, Tensor?, Tensor>, ISequenceClassifier
{
    /// <summary>The classifier head's state-dict keys.</summary>
    public static readonly IReadOnlySet<string> HeadKeys = new HashSet<string> { "classifier.weight", "classifier.bias" };

    [ComponentName(Name = "bert")]
    private readonly BertModel _bert;

    [ComponentName(Name = "dropout")]
    private readonly Dropout _dropout;

    [ComponentName(Name = "classifier")]
    private readonly Linear _classifier;

    /// <summary>Builds a randomly initialised model on the CPU (Hugging Face initialisation).</summary>
    public BertForSequenceClassification(BertConfig config) : base(nameof(BertForSequenceClassification))
    {
        Config = config;
        _bert = new BertModel(config);
        _dropout = nn.Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        _classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
        BertInitializer.Apply(_classifier, config.InitializerRange);
    }

    /// <summary>The configuration the model was built from.</summary>
    public BertConfig Config { get; }

    /// <summary>The encoder.</summary>
    public BertModel Bert => _bert;

    /// <summary>True when the classifier head was loaded from a checkpoint (or marked trained by a trainer).</summary>
    public bool HasTrainedHead { get; private set; }

    /// <inheritdoc/>
    public nn.Module Module => this;

    /// <inheritdoc/>
    public Tensor Logits(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) => forward(inputIds, tokenTypeIds, attentionMask);

    /// <summary>
    /// Logits [B, num_labels] as float32 for token ids [B, L]; masks as in <see cref="BertModel.forward"/>.
    /// </summary>
    public override Tensor forward(Tensor inputIds, Tensor? tokenTypeIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var (_, pooled) = _bert.ForwardWithPooler(inputIds, tokenTypeIds, attentionMask);
        var logits = _classifier.forward(_dropout.forward(pooled));
        return logits.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Loads a state dict strictly. Keys may be those of this class (<c>bert.</c>-prefixed plus
    /// <c>classifier.*</c>) or of a bare <c>BertModel</c> (no prefix, no head). When the head is
    /// absent, <paramref name="headPolicy"/> decides: <see cref="ClassifierHeadPolicy.RequireTrained"/>
    /// throws; <see cref="ClassifierHeadPolicy.AllowFresh"/> keeps the current head and leaves
    /// <see cref="HasTrainedHead"/> false.
    /// </summary>
    /// <exception cref="InvalidInputException">Keys or shapes do not match, or the head is required and absent.</exception>
    public void LoadWeights(IReadOnlyDictionary<string, TensorData> weights, string source, ClassifierHeadPolicy headPolicy)
    {
        HasTrainedHead = SequenceClassifierWeights.Load(this, weights, source, "bert", "bert.", HeadKeys, "classifier head", headPolicy);
    }

    /// <summary>
    /// Re-initialises the classifier head from N(0, initializer_range) with a dedicated generator
    /// seeded by <paramref name="seed"/>, bias 0; <see cref="HasTrainedHead"/> becomes false.
    /// </summary>
    public void InitializeFreshHead(long seed)
    {
        SequenceClassifierWeights.InitializeLinear(_classifier, seed, Config.InitializerRange);
        HasTrainedHead = false;
    }

    /// <summary>Records that the head has been trained (a trainer calls this before saving or ranking).</summary>
    public void MarkHeadTrained() => HasTrainedHead = true;

    /// <summary>All weights on the host as float32, by Hugging Face name.</summary>
    public Dictionary<string, TensorData> ExportWeights() => StrictWeightLoader.Export(this);

    /// <summary>
    /// Casts all weights to bfloat16 for faster CPU inference (about 1.6x on AVX-512 bf16 machines,
    /// cosine 0.99996 to float32); logits are still returned as float32. Irreversible for this instance.
    /// </summary>
    public void UseBFloat16() => this.to(ScalarType.BFloat16);
}
