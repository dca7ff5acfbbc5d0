using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>Hugging Face <c>BertPooler</c>: tanh(dense(hidden state of the first token)) (key <c>dense</c>).</summary>
internal sealed class BertPooler : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "dense")]
    private readonly Linear _dense;

    public BertPooler(BertConfig config) : base(nameof(BertPooler))
    {
        _dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>[B, L, H] to [B, H], from position 0 ([CLS]).</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return tanh(_dense.forward(hidden.select(1, 0))).MoveToOuterDisposeScope();
    }
}
