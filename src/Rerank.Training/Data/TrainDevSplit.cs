namespace Rerank.Training.Data;

/// <summary>Training groups and the held-out groups used to monitor training; no query id is in both.</summary>
/// <param name="Train">Groups to train on.</param>
/// <param name="Dev">Held-out groups for validation.</param>
public sealed record TrainDevSplit(IReadOnlyList<TrainingGroup> Train, IReadOnlyList<TrainingGroup> Dev);
