namespace Rerank.Training.Embedding;

/// <summary>One finished update of <see cref="BiEncoderTrainer"/>.</summary>
/// <param name="Step">Updates done (1-based).</param>
/// <param name="TotalSteps">Updates in the run.</param>
/// <param name="Loss">This update's loss (before the update).</param>
/// <param name="LearningRate">The rate this update used.</param>
/// <param name="Elapsed">Time since training started.</param>
internal sealed record BiEncoderTrainingProgress(int Step, int TotalSteps, double Loss, double LearningRate, TimeSpan Elapsed);
