using TorchSharp.Utils;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling.XlmRoberta;

/// <summary>
/// Hugging Face <c>RobertaClassificationHead</c> (keys <c>dense.*</c>, <c>out_proj.*</c>): on the first token's
/// hidden state, dropout → dense [H, H] → tanh → dropout → out_proj [num_labels, H]. ELECTRA's head is the same
/// with GELU in place of tanh (the constructor's <c>activation</c>).
/// </summary>
internal sealed class RobertaClassificationHead : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "dense")]
    private readonly Linear _dense;

    [ComponentName(Name = "dropout")]
    private readonly Dropout _dropout;

    [ComponentName(Name = "out_proj")]
    private readonly Linear _outProj;

    private readonly Func<Tensor, Tensor> _activation;

    public RobertaClassificationHead(BertConfig config, Func<Tensor, Tensor> activation) : base(nameof(RobertaClassificationHead))
    {
        _dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        _dropout = nn.Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        _outProj = nn.Linear(config.HiddenSize, config.NumLabels);
        _activation = activation;
        RegisterComponents();
    }

    /// <summary>The output layer (re-initialised for a fresh head).</summary>
    public Linear OutProj => _outProj;

    /// <summary>Logits [B, num_labels] from hidden states [B, L, H].</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var first = hidden.select(1, 0);
        var x = _activation(_dense.forward(_dropout.forward(first)));
        return _outProj.forward(_dropout.forward(x)).MoveToOuterDisposeScope();
    }
}
