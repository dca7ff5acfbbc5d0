using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// Hugging Face <c>BertIntermediate</c>: dense to the intermediate size, then <c>hidden_act</c>
/// (key <c>dense</c>). "gelu" is the exact erf form; "gelu_new" and "gelu_pytorch_tanh" are the
/// same tanh approximation 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))); "relu" is max(x, 0).
/// </summary>
internal sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "dense")]
    private readonly Linear _dense;

    private readonly string _activation;

    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        if (!BertConfig.IsSupportedActivation(config.HiddenAct))
        {
            throw new ArgumentException($"hidden_act \"{config.HiddenAct}\" is not supported.", nameof(config));
        }

        _activation = config.HiddenAct;
        _dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        RegisterComponents();
    }

    /// <summary>[B, L, H] to [B, L, intermediate].</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var x = _dense.forward(hidden);
        var y = _activation switch
        {
            "gelu" => nn.functional.gelu(x),
            "relu" => nn.functional.relu(x),
            _ => nn.functional.gelu(x, GELU.Approximate.tanh),
        };
        return y.MoveToOuterDisposeScope();
    }
}
