using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>Hugging Face <c>BertLayer</c>: attention, intermediate, output (keys <c>attention</c>, <c>intermediate</c>, <c>output</c>).</summary>
internal sealed class BertLayer : nn.Module<Tensor, Tensor?, Tensor>
{
    [ComponentName(Name = "attention")]
    private readonly BertAttention _attention;

    [ComponentName(Name = "intermediate")]
    private readonly BertIntermediate _intermediate;

    [ComponentName(Name = "output")]
    private readonly BertOutput _output;

    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        _attention = new BertAttention(config);
        _intermediate = new BertIntermediate(config);
        _output = new BertOutput(config);
        RegisterComponents();
    }

    /// <summary>One transformer block, [B, L, H] to [B, L, H].</summary>
    public override Tensor forward(Tensor hidden, Tensor? keyMask)
    {
        using var scope = NewDisposeScope();
        var attended = _attention.forward(hidden, keyMask);
        return _output.forward(_intermediate.forward(attended), attended).MoveToOuterDisposeScope();
    }
}
