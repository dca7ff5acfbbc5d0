using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// Hugging Face <c>BertModel</c> (keys <c>embeddings.*</c>, <c>encoder.layer.N.*</c>,
/// <c>pooler.*</c>), with the pooler always present. Constructed from a <see cref="BertConfig"/>
/// with Hugging Face's initialisation (seed with <c>torch.manual_seed</c> first for
/// reproducibility); load weights with <see cref="LoadWeights"/>.
/// </summary>
internal sealed class BertModel : nn.Module<Tensor, Tensor?, Tensor?, Tensor>
{
    [ComponentName(Name = "embeddings")]
    private readonly BertEmbeddings _embeddings;

    [ComponentName(Name = "encoder")]
    private readonly BertEncoder _encoder;

    [ComponentName(Name = "pooler")]
    private readonly BertPooler _pooler;

    /// <summary>Builds a randomly initialised model on the CPU; move it with <c>to(device)</c>.</summary>
    public BertModel(BertConfig config) : base(nameof(BertModel))
    {
        config.Validate("BertConfig");
        Config = config;
        _embeddings = new BertEmbeddings(config);
        _encoder = new BertEncoder(config);
        _pooler = new BertPooler(config);
        RegisterComponents();
        BertInitializer.Apply(this, config.InitializerRange);
        _embeddings.ZeroPaddingRow(config.PadTokenId);
    }

    /// <summary>The configuration the model was built from.</summary>
    public BertConfig Config { get; }

    /// <summary>
    /// The last hidden state [B, L, H] for token ids [B, L] (int64). <paramref name="tokenTypeIds"/>
    /// defaults to zeros; <paramref name="attentionMask"/> (1 = token, 0 = padding) to all ones.
    /// </summary>
    public override Tensor forward(Tensor inputIds, Tensor? tokenTypeIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        return Encode(inputIds, tokenTypeIds, attentionMask).MoveToOuterDisposeScope();
    }

    /// <summary>The last hidden state [B, L, H] and the pooler output [B, H].</summary>
    public (Tensor LastHiddenState, Tensor PoolerOutput) ForwardWithPooler(Tensor inputIds, Tensor? tokenTypeIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = Encode(inputIds, tokenTypeIds, attentionMask);
        var pooled = _pooler.forward(hidden);
        return (hidden.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Loads an un-prefixed <c>BertModel</c> state dict (<c>embeddings.word_embeddings.weight</c>, ...)
    /// strictly: see <see cref="StrictWeightLoader"/>.
    /// </summary>
    /// <param name="weights">Host weights by Hugging Face name.</param>
    /// <param name="source">The file they came from, for error messages.</param>
    public void LoadWeights(IReadOnlyDictionary<string, TensorData> weights, string source) =>
        StrictWeightLoader.Load(this, weights, source);

    /// <summary>All weights on the host as float32, by Hugging Face name.</summary>
    public Dictionary<string, TensorData> ExportWeights() => StrictWeightLoader.Export(this);

    private Tensor Encode(Tensor inputIds, Tensor? tokenTypeIds, Tensor? attentionMask)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input_ids must be [batch, length]; got [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        var batch = inputIds.shape[0];
        var length = inputIds.shape[1];
        if (length > Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException($"Sequence length {length} exceeds max_position_embeddings {Config.MaxPositionEmbeddings}; truncate the input.", nameof(inputIds));
        }

        var segments = tokenTypeIds ?? zeros_like(inputIds);
        // Boolean key mask [B, 1, 1, L]: true = attend. It broadcasts over heads and query positions.
        var keyMask = attentionMask?.to(ScalarType.Bool).view(batch, 1, 1, length);
        var hidden = _embeddings.forward(inputIds, segments);
        return _encoder.forward(hidden, keyMask);
    }
}
