using Rerank.Training.Losses;
using Rerank.Training.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rerank.Training.Trainer;

/// <summary>
/// One optimizer update of <see cref="CrossEncoderTrainer"/>: for each micro-batch, encode its pairs,
/// forward, loss, backward (gradients scaled by 1 / micro-batches); then clip the global gradient norm,
/// set the rate, step AdamW and clear the gradients. The trainer and the training-speed benchmark
/// (<c>rerank-bench --sections training</c>) run this same code.
/// </summary>
internal sealed class TrainingStep
{
    private readonly ITrainableCrossEncoder _model;
    private readonly IRankingLoss _loss;
    private readonly IPairBatchEncoder _encoder;
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly optim.Optimizer _optimizer;
    private readonly TrainingOptions _options;
    private readonly Device _device;

    /// <param name="model">The model, in train mode, on <paramref name="device"/>.</param>
    /// <param name="loss">The objective.</param>
    /// <param name="encoder">Encodes (query, document) pairs.</param>
    /// <param name="parameters">The trainable parameters (clipped together).</param>
    /// <param name="optimizer">AdamW over <paramref name="parameters"/> (see <see cref="AdamWFactory"/>).</param>
    /// <param name="options">Max length, precision, clipping norm.</param>
    /// <param name="device">Where the model lives.</param>
    public TrainingStep(ITrainableCrossEncoder model, IRankingLoss loss, IPairBatchEncoder encoder, IReadOnlyList<Parameter> parameters,
        optim.Optimizer optimizer, TrainingOptions options, Device device)
    {
        _model = model;
        _loss = loss;
        _encoder = encoder;
        _parameters = parameters;
        _optimizer = optimizer;
        _options = options;
        _device = device;
    }

    /// <summary>
    /// Clear gradients after the update by releasing them (<c>zero_grad(set_to_none: true)</c>, PyTorch's
    /// default since 2.0) rather than writing zeros into them; the next backward then writes each gradient
    /// afresh instead of adding it to zeros, which gives the same values. Default true; false only for the
    /// benchmark's "before" arm.
    /// </summary>
    internal bool ReleaseGradients { get; init; } = true;

    /// <summary>
    /// Runs one update over <paramref name="microBatches"/> (each a list of training rows) at
    /// <paramref name="learningRate"/> and returns the mean of the micro-batches' losses.
    /// </summary>
    public double Run(IReadOnlyList<IReadOnlyList<TrainingRow>> microBatches, double learningRate)
    {
        using var scope = NewDisposeScope();
        var count = microBatches.Count;
        var lossSum = zeros(1, device: _device);
        foreach (var rows in microBatches) lossSum += ForwardBackward(rows, 1.0 / count);
        if (_options.MaxGradNorm > 0) nn.utils.clip_grad_norm_(_parameters, _options.MaxGradNorm);
        AdamWFactory.SetLearningRate(_optimizer, learningRate);
        _optimizer.step();
        ClearGradients();
        return lossSum.item<float>() / count;
    }

    /// <summary>Clears the gradients for the next update (see <see cref="ReleaseGradients"/>).</summary>
    internal void ClearGradients()
    {
        if (ReleaseGradients)
        {
            foreach (var p in _parameters) p.grad = null;
        }
        else
        {
            _optimizer.zero_grad();
        }
    }

    /// <summary>Encodes, forwards and back-propagates one micro-batch; returns its (unscaled, detached) loss.</summary>
    internal Tensor ForwardBackward(IReadOnlyList<TrainingRow> batchRows, double scale)
    {
        var width = batchRows.Max(r => r.Documents.Count);
        var pairs = new List<(string, string)>();
        var positions = new List<long>();
        var labels = new float[batchRows.Count * width];
        var valid = new bool[batchRows.Count * width];
        for (var r = 0; r < batchRows.Count; r++)
        {
            var row = batchRows[r];
            for (var c = 0; c < row.Documents.Count; c++)
            {
                pairs.Add((row.Query, row.Documents[c]));
                positions.Add((long)r * width + c);
                labels[r * width + c] = row.Labels[c];
                valid[r * width + c] = true;
            }
        }
        var batch = _encoder.Encode(pairs, _options.MaxLength);
        var logits = _model.Logits(batch, _device, _options.Precision).to_type(ScalarType.Float32).reshape(-1);
        var shape = new long[] { batchRows.Count, width };
        // Scatter the valid pairs' logits into the [rows, width] matrix; padding cells stay 0 and are masked.
        var scores = zeros(batchRows.Count * width, device: _device)
            .index_copy(0, tensor(positions.ToArray(), device: _device), logits)
            .reshape(shape);
        var value = _loss.Forward(scores, tensor(labels, shape, device: _device), tensor(valid, shape, device: _device));
        (value * scale).backward();
        return value.detach();
    }
}
