using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>Hugging Face <c>BertEncoder</c>: the stack of layers (keys <c>layer.0</c>, <c>layer.1</c>, ...).</summary>
internal sealed class BertEncoder : nn.Module<Tensor, Tensor?, Tensor>
{
    [ComponentName(Name = "layer")]
    private readonly ModuleList<BertLayer> _layer;

    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        _layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>Runs every layer in order, [B, L, H] to [B, L, H].</summary>
    public override Tensor forward(Tensor hidden, Tensor? keyMask)
    {
        using var scope = NewDisposeScope();
        var x = hidden;
        foreach (var layer in _layer) x = layer.forward(x, keyMask);
        return x.MoveToOuterDisposeScope();
    }
}
