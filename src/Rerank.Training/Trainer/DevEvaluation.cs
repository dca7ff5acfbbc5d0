namespace Rerank.Training.Trainer;

/// <summary>One point of the dev curve.</summary>
/// <param name="Step">Optimizer updates done when it was measured.</param>
/// <param name="Epoch">The epoch, 0-based.</param>
/// <param name="Metric">The value the validation callback returned (e.g. nDCG@10).</param>
/// <param name="TrainingLoss">Mean training loss since the previous evaluation.</param>
public sealed record DevEvaluation(int Step, int Epoch, double Metric, double TrainingLoss);
