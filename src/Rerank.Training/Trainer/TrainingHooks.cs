namespace Rerank.Training.Trainer;

/// <summary>What the caller plugs into a run.</summary>
/// <param name="Evaluate">
/// Returns the dev metric (higher is better, e.g. nDCG@10 of reranked BM25 top-k) for the model as
/// it is now; called every <see cref="TrainingOptions.EvalEverySteps"/> steps and at the end. Null: no validation.
/// </param>
/// <param name="Progress">Receives a report after every optimizer update.</param>
/// <param name="ModelCard">Run facts for the README.md model card; null writes no card.</param>
public sealed record TrainingHooks(
    Func<IPairScorer, CancellationToken, double>? Evaluate = null,
    IProgress<TrainingProgress>? Progress = null,
    ModelCardInfo? ModelCard = null);
