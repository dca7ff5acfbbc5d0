using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling.ModernBert;

/// <summary>
/// Hugging Face <c>ModernBertForSequenceClassification</c> (Alibaba-NLP/gte-reranker-modernbert-base): keys
/// <c>model.embeddings.{tok_embeddings,norm}</c>, <c>model.layers.N.{attn_norm (not in layer 0), attn.Wqkv, attn.Wo,
/// mlp_norm, mlp.Wi, mlp.Wo}</c>, <c>model.final_norm</c>, <c>head.{dense,norm}</c>, <c>classifier</c>. Pre-norm layers,
/// no biases unless the config asks, rotary positions (global theta every global_attn_every_n_layers-th layer, local
/// theta and a sliding window of local_attention / 2 tokens either side on the others), GeGLU feed-forward, then
/// the head (dense, GELU, norm) on the [CLS] or mean state and a linear classifier. Logits [B, num_labels].
/// </summary>
internal sealed class ModernBertForSequenceClassification : nn.Module<Tensor, Tensor, Tensor, Tensor>, ISequenceClassifier
{
    /// <summary>The head's state-dict keys (with the biases the config may add).</summary>
    public static readonly IReadOnlySet<string> HeadKeys = new HashSet<string> { "head.dense.weight", "head.dense.bias", "head.norm.weight", "head.norm.bias", "classifier.weight", "classifier.bias" };

    [ComponentName(Name = "model")]
    private readonly ModernBertModel _model;

    [ComponentName(Name = "head")]
    private readonly ModernBertPredictionHead _head;

    [ComponentName(Name = "classifier")]
    private readonly Linear _classifier;

    private readonly ModernBertSettings _settings;

    /// <summary>Builds a randomly initialised model on the CPU.</summary>
    public ModernBertForSequenceClassification(BertConfig config) : base(nameof(ModernBertForSequenceClassification))
    {
        config.Validate("ModernBertConfig");
        Config = config;
        _settings = ModernBertSettings.From(config, "ModernBertConfig");
        _model = new ModernBertModel(config, _settings);
        _head = new ModernBertPredictionHead(config, _settings);
        _classifier = nn.Linear(config.HiddenSize, config.NumLabels);
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
        var hidden = _model.forward(inputIds, attentionMask);
        Tensor pooled;
        if (_settings.ClassifierPooling == "mean")
        {
            var mask = attentionMask.to(hidden.dtype).unsqueeze(-1);
            pooled = hidden.mul(mask).sum(1).div(mask.sum(1));
        }
        else
        {
            pooled = hidden.select(1, 0);
        }

        return _classifier.forward(_head.forward(pooled)).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Logits(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) => forward(inputIds, tokenTypeIds, attentionMask);

    /// <summary>Loads a state dict strictly; keys of a bare <c>ModernBertModel</c> (no <c>model.</c> prefix) are prefixed.</summary>
    /// <exception cref="InvalidInputException">Keys or shapes do not match, or the head is required and absent.</exception>
    public void LoadWeights(IReadOnlyDictionary<string, TensorData> weights, string source, ClassifierHeadPolicy headPolicy)
    {
        HasTrainedHead = SequenceClassifierWeights.Load(this, weights, source, "modernbert", "model.", HeadKeys, "classification head", headPolicy);
    }

    /// <inheritdoc/>
    public void InitializeFreshHead(long seed)
    {
        SequenceClassifierWeights.InitializeLinear(_classifier, seed, Config.InitializerRange);
        HasTrainedHead = false;
    }

    /// <inheritdoc/>
    public void MarkHeadTrained() => HasTrainedHead = true;

    /// <inheritdoc/>
    public Dictionary<string, TensorData> ExportWeights() => StrictWeightLoader.Export(this);

    /// <inheritdoc/>
    public void UseBFloat16() => this.to(ScalarType.BFloat16);
}

/// <summary>LayerNorm with an optional bias (ModernBERT's <c>norm_bias</c>); keys <c>weight</c>, <c>bias</c>.</summary>
internal sealed class OptionalBiasLayerNorm : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;

    [ComponentName(Name = "bias")]
    private readonly Parameter? _bias;

    private readonly long _size;
    private readonly double _eps;

    public OptionalBiasLayerNorm(long size, double eps, bool bias) : base(nameof(OptionalBiasLayerNorm))
    {
        _size = size;
        _eps = eps;
        _weight = new Parameter(ones(size));
        if (bias) _bias = new Parameter(zeros(size));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.layer_norm(x, [_size], _weight, _bias, _eps);
}

/// <summary><c>ModernBertPredictionHead</c>: norm(GELU(dense(x))).</summary>
internal sealed class ModernBertPredictionHead : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "dense")]
    private readonly Linear _dense;

    [ComponentName(Name = "norm")]
    private readonly OptionalBiasLayerNorm _norm;

    public ModernBertPredictionHead(BertConfig config, ModernBertSettings settings) : base(nameof(ModernBertPredictionHead))
    {
        _dense = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: settings.ClassifierBias);
        _norm = new OptionalBiasLayerNorm(config.HiddenSize, settings.NormEps, settings.NormBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => _norm.forward(nn.functional.gelu(_dense.forward(x)));
}

/// <summary><c>ModernBertModel</c>: embeddings (token embedding, norm), the layers, the final norm.</summary>
internal sealed class ModernBertModel : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "embeddings")]
    private readonly ModernBertEmbeddings _embeddings;

    [ComponentName(Name = "layers")]
    private readonly ModuleList<ModernBertLayer> _layers;

    [ComponentName(Name = "final_norm")]
    private readonly OptionalBiasLayerNorm _finalNorm;

    private readonly ModernBertSettings _settings;
    private readonly int _headDim;

    public ModernBertModel(BertConfig config, ModernBertSettings settings) : base(nameof(ModernBertModel))
    {
        _settings = settings;
        _headDim = config.HiddenSize / config.NumAttentionHeads;
        _embeddings = new ModernBertEmbeddings(config, settings);
        _layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new ModernBertLayer(config, settings, i)).ToArray());
        _finalNorm = new OptionalBiasLayerNorm(config.HiddenSize, settings.NormEps, settings.NormBias);
        RegisterComponents();
    }

    /// <summary>The last hidden state [B, L, H] for ids [B, L] and mask [B, L].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var length = inputIds.shape[1];
        var hidden = _embeddings.forward(inputIds);
        var keys = attentionMask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(1); // [B, 1, 1, L]
        var positions = arange(length, dtype: ScalarType.Float64, device: inputIds.device);
        var distance = positions.unsqueeze(1).sub(positions.unsqueeze(0)).abs();
        var window = distance.le(_settings.LocalAttention / 2).unsqueeze(0).unsqueeze(0); // [1, 1, L, L]
        var globalMask = keys;
        var localMask = keys.logical_and(window);
        var (globalCos, globalSin) = Rotary(positions, _settings.GlobalRopeTheta, hidden.dtype);
        var (localCos, localSin) = Rotary(positions, _settings.LocalRopeTheta, hidden.dtype);
        for (var i = 0; i < _layers.Count; i++)
        {
            var isGlobal = i % _settings.GlobalAttnEveryNLayers == 0;
            hidden = _layers[i].forward(hidden, isGlobal ? globalMask : localMask, isGlobal ? globalCos : localCos, isGlobal ? globalSin : localSin);
        }

        return _finalNorm.forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>cos and sin [L, head_dim] of the rotary angles (computed in float64, as exactly as possible).</summary>
    private (Tensor Cos, Tensor Sin) Rotary(Tensor positions, double theta, ScalarType dtype)
    {
        var exponents = arange(0, _headDim, 2, dtype: ScalarType.Float64, device: positions.device).div(_headDim);
        var inverse = pow(full_like(exponents, theta), exponents).reciprocal();
        var angles = positions.unsqueeze(1).mul(inverse.unsqueeze(0));
        var both = cat([angles, angles], -1);
        return (both.cos().to(dtype), both.sin().to(dtype));
    }
}

/// <summary><c>ModernBertEmbeddings</c>: norm(tok_embeddings(ids)); no position embeddings (positions are rotary).</summary>
internal sealed class ModernBertEmbeddings : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "tok_embeddings")]
    private readonly TorchSharp.Modules.Embedding _tokEmbeddings;

    [ComponentName(Name = "norm")]
    private readonly OptionalBiasLayerNorm _norm;

    public ModernBertEmbeddings(BertConfig config, ModernBertSettings settings) : base(nameof(ModernBertEmbeddings))
    {
        _tokEmbeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        _norm = new OptionalBiasLayerNorm(config.HiddenSize, settings.NormEps, settings.NormBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor inputIds) => _norm.forward(_tokEmbeddings.forward(inputIds));
}

/// <summary>One pre-norm layer: h + attn(attn_norm(h)), then + mlp(mlp_norm(h)); layer 0 has no attn_norm.</summary>
internal sealed class ModernBertLayer : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "attn_norm")]
    private readonly OptionalBiasLayerNorm? _attnNorm;

    [ComponentName(Name = "attn")]
    private readonly ModernBertAttention _attn;

    [ComponentName(Name = "mlp_norm")]
    private readonly OptionalBiasLayerNorm _mlpNorm;

    [ComponentName(Name = "mlp")]
    private readonly ModernBertMlp _mlp;

    public ModernBertLayer(BertConfig config, ModernBertSettings settings, int index) : base(nameof(ModernBertLayer))
    {
        if (index > 0) _attnNorm = new OptionalBiasLayerNorm(config.HiddenSize, settings.NormEps, settings.NormBias);
        _attn = new ModernBertAttention(config, settings);
        _mlpNorm = new OptionalBiasLayerNorm(config.HiddenSize, settings.NormEps, settings.NormBias);
        _mlp = new ModernBertMlp(config, settings);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor mask, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var normed = _attnNorm is null ? hidden : _attnNorm.forward(hidden);
        var h = hidden + _attn.forward(normed, mask, cos, sin);
        h = h + _mlp.forward(_mlpNorm.forward(h));
        return h.MoveToOuterDisposeScope();
    }
}

/// <summary>Self-attention with one Wqkv projection, rotary positions on queries and keys, and Wo.</summary>
internal sealed class ModernBertAttention : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "Wqkv")]
    private readonly Linear _wqkv;

    [ComponentName(Name = "Wo")]
    private readonly Linear _wo;

    private readonly int _heads;
    private readonly int _headDim;

    public ModernBertAttention(BertConfig config, ModernBertSettings settings) : base(nameof(ModernBertAttention))
    {
        _heads = config.NumAttentionHeads;
        _headDim = config.HiddenSize / config.NumAttentionHeads;
        _wqkv = nn.Linear(config.HiddenSize, 3 * config.HiddenSize, hasBias: settings.AttentionBias);
        _wo = nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: settings.AttentionBias);
        RegisterComponents();
    }

    /// <summary>[B, L, H] to [B, L, H]; <paramref name="mask"/> (true = attend) broadcasts to [B, heads, L, L].</summary>
    public override Tensor forward(Tensor hidden, Tensor mask, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var batch = hidden.shape[0];
        var length = hidden.shape[1];
        var qkv = _wqkv.forward(hidden).view(batch, length, 3, _heads, _headDim).permute(2, 0, 3, 1, 4); // [3, B, heads, L, d]
        var (q, k, v) = (qkv[0], qkv[1], qkv[2]);
        q = q.mul(cos).add(RotateHalf(q).mul(sin));
        k = k.mul(cos).add(RotateHalf(k).mul(sin));
        var scores = q.matmul(k.transpose(-1, -2)).div(Math.Sqrt(_headDim));
        // A large finite negative, as Hugging Face's finfo.min: a padding query whose window holds no token stays finite.
        scores = scores.masked_fill(mask.logical_not(), scores.dtype == ScalarType.BFloat16 ? -3.0e38 : float.MinValue);
        var context = scores.softmax(-1).matmul(v).transpose(1, 2).reshape(batch, length, _heads * _headDim);
        return _wo.forward(context).MoveToOuterDisposeScope();
    }

    private Tensor RotateHalf(Tensor x)
    {
        var half = _headDim / 2;
        return cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
    }
}

/// <summary>GeGLU feed-forward: Wi to 2 × intermediate, GELU(input) × gate, Wo.</summary>
internal sealed class ModernBertMlp : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "Wi")]
    private readonly Linear _wi;

    [ComponentName(Name = "Wo")]
    private readonly Linear _wo;

    public ModernBertMlp(BertConfig config, ModernBertSettings settings) : base(nameof(ModernBertMlp))
    {
        _wi = nn.Linear(config.HiddenSize, 2 * config.IntermediateSize, hasBias: settings.MlpBias);
        _wo = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: settings.MlpBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var parts = _wi.forward(hidden).chunk(2, -1);
        return _wo.forward(nn.functional.gelu(parts[0]).mul(parts[1])).MoveToOuterDisposeScope();
    }
}
