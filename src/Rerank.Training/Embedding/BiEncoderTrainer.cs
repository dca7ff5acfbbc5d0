using System.Diagnostics;
using Rerank.Lucene;
using Rerank.Training.Data;
using Rerank.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rerank.Training.Embedding;

/// <summary>
/// Fine-tunes a <see cref="TrainableBiEncoder"/> with <see cref="MultipleNegativesRankingLoss"/>: per batch of
/// <see cref="BiEncoderTrainingOptions.BatchSize"/> rows (<see cref="NoDuplicateBatches"/>, reshuffled each epoch from the
/// seed), embed the queries, positives and hard negatives, loss, backward, clip the gradient norm, step AdamW
/// (<see cref="AdamWFactory"/>: no decay on biases and LayerNorm weights) at the rate of <see cref="LinearWarmupSchedule"/>.
/// Dropout is on during training (the model's config, 0.1 for MiniLM); the model is left in eval mode.
/// </summary>
internal static class BiEncoderTrainer
{
    /// <summary>Trains <paramref name="encoder"/> in place.</summary>
    /// <param name="encoder">The model to fine-tune.</param>
    /// <param name="rows">The training rows (at least one).</param>
    /// <param name="options">The settings; validated here.</param>
    /// <param name="progress">Told after every update; may be null.</param>
    /// <param name="ct">Checked before every update: a cancelled run stops between updates (the model is then partly trained; do not save it).</param>
    /// <exception cref="InvalidInputException">No rows, or a setting out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static BiEncoderTrainingResult Train(TrainableBiEncoder encoder, IReadOnlyList<BiEncoderTrainingRow> rows, BiEncoderTrainingOptions options,
        IProgress<BiEncoderTrainingProgress>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        if (rows.Count == 0) throw new InvalidInputException("There are no training rows (query, positive, negative); check the judgments and the mining.");
        if (options.PassageMaxLength > encoder.MaxSeqLength || options.QueryMaxLength > encoder.MaxSeqLength)
        {
            throw new InvalidInputException(
                $"Max lengths {options.QueryMaxLength} (queries) and {options.PassageMaxLength} (documents) must not exceed the embedder's max_seq_length {encoder.MaxSeqLength}, "
                + "the length it embeds at search time.");
        }
        var epochs = Enumerable.Range(0, options.Epochs)
            .Select(e => NoDuplicateBatches.Plan(rows, options.BatchSize, SeededRandom.For(options.Seed, "bi-encoder-batches", $"epoch {e}")))
            .ToList();
        var total = epochs.Sum(e => e.Count);
        var schedule = new LinearWarmupSchedule(options.LearningRate, total, LinearWarmupSchedule.WarmupStepsFor(total, options.WarmupRatio));
        var loss = new MultipleNegativesRankingLoss(options.Scale);
        var named = encoder.Model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        var parameters = named.Select(p => p.parameter).ToList();
        using var optimizer = AdamWFactory.Create(named.Select(p => (p.name, p.parameter)), options.LearningRate, options.WeightDecay);

        manual_seed(options.Seed);
        var clock = Stopwatch.StartNew();
        var losses = new List<double>(total);
        encoder.Model.train();
        try
        {
            foreach (var batches in epochs)
            {
                foreach (var batch in batches)
                {
                    ct.ThrowIfCancellationRequested();
                    var step = losses.Count;
                    var rate = schedule.LearningRate(step);
                    var value = Update(encoder, batch.Select(i => rows[i]).ToList(), loss, options, optimizer, parameters, rate);
                    losses.Add(value);
                    progress?.Report(new BiEncoderTrainingProgress(step + 1, total, value, rate, clock.Elapsed));
                }
            }
        }
        finally
        {
            foreach (var p in parameters) p.grad = null;
            encoder.Model.eval();
        }
        return new BiEncoderTrainingResult(losses, schedule.WarmupSteps, clock.Elapsed);
    }

    /// <summary>The loss of <paramref name="rows"/> under the current weights, without dropout or gradients (for checks and tests).</summary>
    public static double Evaluate(TrainableBiEncoder encoder, IReadOnlyList<BiEncoderTrainingRow> rows, BiEncoderTrainingOptions options)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var training = encoder.Model.training;
        encoder.Model.eval();
        try
        {
            var (q, p, n) = EmbedRows(encoder, rows, options);
            return new MultipleNegativesRankingLoss(options.Scale).Forward(q, p, n).item<float>();
        }
        finally
        {
            if (training) encoder.Model.train();
        }
    }

    private static double Update(TrainableBiEncoder encoder, IReadOnlyList<BiEncoderTrainingRow> rows, MultipleNegativesRankingLoss loss,
        BiEncoderTrainingOptions options, optim.Optimizer optimizer, IReadOnlyList<Parameter> parameters, double rate)
    {
        using var scope = NewDisposeScope();
        var (q, p, n) = EmbedRows(encoder, rows, options);
        var value = loss.Forward(q, p, n);
        value.backward();
        if (options.MaxGradNorm > 0) nn.utils.clip_grad_norm_(parameters, options.MaxGradNorm);
        AdamWFactory.SetLearningRate(optimizer, rate);
        optimizer.step();
        foreach (var parameter in parameters) parameter.grad = null;
        return value.item<float>();
    }

    private static (Tensor Queries, Tensor Positives, Tensor Negatives) EmbedRows(TrainableBiEncoder encoder, IReadOnlyList<BiEncoderTrainingRow> rows, BiEncoderTrainingOptions options) =>
        (encoder.Embed(rows.Select(r => r.Query).ToList(), options.QueryMaxLength),
         encoder.Embed(rows.Select(r => r.Positive.Text).ToList(), options.PassageMaxLength),
         encoder.Embed(rows.Select(r => r.Negative.Text).ToList(), options.PassageMaxLength));
}
