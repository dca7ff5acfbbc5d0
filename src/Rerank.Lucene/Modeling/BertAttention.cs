using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>Hugging Face <c>BertAttention</c>: self-attention then its output block (keys <c>self</c>, <c>output</c>).</summary>
internal sealed class BertAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    [ComponentName(Name = "self")]
    private readonly BertSelfAttention _self;

    [ComponentName(Name = "output")]
    private readonly BertSelfOutput _output;

    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        _self = new BertSelfAttention(config);
        _output = new BertSelfOutput(config);
        RegisterComponents();
    }

    /// <summary>[B, L, H] to [B, L, H]; <paramref name="keyMask"/> as in <see cref="BertSelfAttention"/>.</summary>
    public override Tensor forward(Tensor hidden, Tensor? keyMask)
    {
        using var scope = NewDisposeScope();
        return _output.forward(_self.forward(hidden, keyMask), hidden).MoveToOuterDisposeScope();
    }
}
