namespace Rerank.Training.Embedding;

/// <summary>What a run did.</summary>
/// <param name="Losses">The loss of every update, in order.</param>
/// <param name="WarmupSteps">Updates spent warming up.</param>
/// <param name="Elapsed">Training time (not loading or saving).</param>
internal sealed record BiEncoderTrainingResult(IReadOnlyList<double> Losses, int WarmupSteps, TimeSpan Elapsed);
