using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>Hugging Face <c>BertOutput</c>: dense back to the hidden size, dropout, residual, LayerNorm (keys <c>dense</c>, <c>LayerNorm</c>).</summary>
internal sealed class BertOutput : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "dense")]
    private readonly Linear _dense;

    [ComponentName(Name = "LayerNorm")]
    private readonly LayerNorm _layerNorm;

    [ComponentName(Name = "dropout")]
    private readonly Dropout _dropout;

    public BertOutput(BertConfig config) : base(nameof(BertOutput))
    {
        _dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        _layerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>Projects <paramref name="intermediate"/> [B, L, I] and adds it to <paramref name="input"/> [B, L, H].</summary>
    public override Tensor forward(Tensor intermediate, Tensor input)
    {
        using var scope = NewDisposeScope();
        return _layerNorm.forward(_dropout.forward(_dense.forward(intermediate)) + input).MoveToOuterDisposeScope();
    }
}
