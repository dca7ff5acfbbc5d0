using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>Hugging Face <c>BertSelfOutput</c>: dense, dropout, residual, LayerNorm (keys <c>dense</c>, <c>LayerNorm</c>).</summary>
internal sealed class BertSelfOutput : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "dense")]
    private readonly Linear _dense;

    [ComponentName(Name = "LayerNorm")]
    private readonly LayerNorm _layerNorm;

    [ComponentName(Name = "dropout")]
    private readonly Dropout _dropout;

    public BertSelfOutput(BertConfig config) : base(nameof(BertSelfOutput))
    {
        _dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        _layerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>Projects the attention <paramref name="context"/> and adds it to <paramref name="input"/>.</summary>
    public override Tensor forward(Tensor context, Tensor input)
    {
        using var scope = NewDisposeScope();
        return _layerNorm.forward(_dropout.forward(_dense.forward(context)) + input).MoveToOuterDisposeScope();
    }
}
