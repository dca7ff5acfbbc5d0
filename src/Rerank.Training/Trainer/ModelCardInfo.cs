namespace Rerank.Training.Trainer;

/// <summary>What the caller knows about a run that the trainer does not, for the model card.</summary>
/// <param name="BaseModel">The starting checkpoint (e.g. "cross-encoder/ms-marco-MiniLM-L-6-v2" or a folder).</param>
/// <param name="Command">The exact command line that produced the model.</param>
/// <param name="DataStatistics">Data and mining statistics, as label/value lines in the order given (e.g. "train queries" = "809").</param>
public sealed record ModelCardInfo(string BaseModel, string Command, IReadOnlyList<KeyValuePair<string, string>> DataStatistics);
