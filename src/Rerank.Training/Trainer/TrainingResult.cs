namespace Rerank.Training.Trainer;

/// <summary>What a finished run produced.</summary>
/// <param name="ModelDirectory">The final model folder.</param>
/// <param name="Steps">Optimizer updates done.</param>
/// <param name="StoppedEarly">True when patience ran out before the planned steps.</param>
/// <param name="BestMetric">The best dev metric, or null without validation.</param>
/// <param name="BestStep">The step of the best dev metric, or null.</param>
/// <param name="DevCurve">Every evaluation, in order.</param>
/// <param name="PositiveWeight">The positive weight binary cross-entropy used (null for other losses).</param>
/// <param name="TrainingRows">Rows (query with candidates) trained on.</param>
/// <param name="TrainingPairs">(query, document) pairs per epoch.</param>
public sealed record TrainingResult(
    string ModelDirectory,
    int Steps,
    bool StoppedEarly,
    double? BestMetric,
    int? BestStep,
    IReadOnlyList<DevEvaluation> DevCurve,
    double? PositiveWeight,
    int TrainingRows,
    int TrainingPairs);
