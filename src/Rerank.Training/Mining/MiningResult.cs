using Rerank.Training.Data;

namespace Rerank.Training.Mining;

/// <summary>The mined groups, one per input query in input order, and the report.</summary>
/// <param name="Groups">Each query with its positives and mined negatives.</param>
/// <param name="Report">Counts and statistics of the run.</param>
public sealed record MiningResult(IReadOnlyList<TrainingGroup> Groups, MiningReport Report);
