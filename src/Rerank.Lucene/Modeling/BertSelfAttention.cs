using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// Hugging Face <c>BertSelfAttention</c> (keys <c>query</c>, <c>key</c>, <c>value</c>), computed
/// with the fused <c>scaled_dot_product_attention</c> kernel (scale 1/sqrt(head size), as BERT).
/// The mask is boolean [B, 1, 1, L], true where a key position is a real token; padded key
/// positions get no attention weight. A null mask attends everywhere.
/// </summary>
internal sealed class BertSelfAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    [ComponentName(Name = "query")]
    private readonly Linear _query;

    [ComponentName(Name = "key")]
    private readonly Linear _key;

    [ComponentName(Name = "value")]
    private readonly Linear _value;

    private readonly long _heads;
    private readonly long _headSize;
    private readonly double _dropout;

    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        _heads = config.NumAttentionHeads;
        _headSize = config.HiddenSize / config.NumAttentionHeads;
        _dropout = config.AttentionProbsDropoutProb;
        _query = nn.Linear(config.HiddenSize, config.HiddenSize);
        _key = nn.Linear(config.HiddenSize, config.HiddenSize);
        _value = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>[B, L, H] hidden states and a [B, 1, 1, L] boolean key mask to the [B, L, H] context.</summary>
    public override Tensor forward(Tensor hidden, Tensor? keyMask)
    {
        using var scope = NewDisposeScope();
        var batch = hidden.shape[0];
        var length = hidden.shape[1];
        Tensor Heads(Linear projection) => projection.forward(hidden).view(batch, length, _heads, _headSize).transpose(1, 2);
        var context = nn.functional.scaled_dot_product_attention(
            Heads(_query), Heads(_key), Heads(_value), keyMask, training ? _dropout : 0.0, false);
        return context.transpose(1, 2).reshape(batch, length, _heads * _headSize).MoveToOuterDisposeScope();
    }
}
