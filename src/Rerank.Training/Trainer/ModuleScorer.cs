using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Training.Trainer;

/// <summary>Scores pairs with the model being trained: eval mode, no gradients, length-sorted batches.</summary>
internal sealed class ModuleScorer : IPairScorer
{
    private readonly ITrainableCrossEncoder _model;
    private readonly IPairBatchEncoder _encoder;
    private readonly Device _device;
    private readonly TrainingOptions _options;

    public ModuleScorer(ITrainableCrossEncoder model, IPairBatchEncoder encoder, Device device, TrainingOptions options)
    {
        _model = model;
        _encoder = encoder;
        _device = device;
        _options = options;
    }

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct = default)
    {
        var scores = new float[pairs.Count];
        // Longest first, so each batch pads only to pairs of similar length.
        var order = Enumerable.Range(0, pairs.Count).OrderByDescending(i => pairs[i].Query.Length + pairs[i].Document.Length).ToArray();
        var wasTraining = _model.Module.training;
        _model.Module.eval();
        try
        {
            using var noGrad = no_grad();
            for (var start = 0; start < order.Length; start += _options.EvalBatchSize)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var idx = order.Skip(start).Take(_options.EvalBatchSize).ToArray();
                var batch = _encoder.Encode(idx.Select(i => pairs[i]).ToList(), _options.MaxLength);
                var logits = _model.Logits(batch, _device, _options.Precision).to_type(ScalarType.Float32).cpu().data<float>().ToArray();
                for (var k = 0; k < idx.Length; k++) scores[idx[k]] = logits[k];
            }
        }
        finally
        {
            if (wasTraining) _model.Module.train();
        }
        return scores;
    }
}
