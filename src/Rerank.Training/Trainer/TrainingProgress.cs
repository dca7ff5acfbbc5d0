namespace Rerank.Training.Trainer;

/// <summary>One progress report, sent after every optimizer update (and after each evaluation).</summary>
/// <param name="Step">Optimizer updates done.</param>
/// <param name="TotalSteps">Optimizer updates in the run.</param>
/// <param name="Epoch">The current epoch, 0-based.</param>
/// <param name="Loss">Mean training loss over the update's micro-batches.</param>
/// <param name="LearningRate">The rate the update used.</param>
/// <param name="PairsPerSecond">Throughput since the run (or resume) started, in (query, document) pairs.</param>
/// <param name="EstimatedRemaining">Time left at that throughput.</param>
/// <param name="DevMetric">The dev metric when this report follows an evaluation, else null.</param>
public sealed record TrainingProgress(
    int Step,
    int TotalSteps,
    int Epoch,
    double Loss,
    double LearningRate,
    double PairsPerSecond,
    TimeSpan EstimatedRemaining,
    double? DevMetric);
