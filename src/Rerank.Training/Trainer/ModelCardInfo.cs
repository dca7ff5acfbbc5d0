namespace Rerank.Training.Trainer;

/// <summary>What the caller knows about a run that the trainer does not, for the model card.</summary>
/// <param name="BaseModel">The starting checkpoint (e.g. "cross-encoder/ms-marco-MiniLM-L-6-v2" or a folder).</param>
/// <param name="Command">The exact command line that produced the model.</param>
/// <param name="DataStatistics">Data and mining statistics, as label/value lines in the order given (e.g. "train queries" = "809").</param>
/// <param name="MinedWith">The first stage this run mined hard negatives with (e.g. "hybrid (bm25 + dense)"); null when it mined none (triples, pairs, groups mined earlier).</param>
/// <param name="DevMetric">What the validations during training measure, with their depth (e.g. "nDCG@10 over bm25 top 20"); null: "dev metric".</param>
/// <param name="BaseModelId">
/// The starting checkpoint's Hugging Face Hub model id (e.g. "sentence-transformers/all-MiniLM-L6-v2"), written as the card's
/// <c>base_model</c> metadata, which the Hub reads as a model id; null when it is not known (a local folder): no <c>base_model</c> then.
/// </param>
public sealed record ModelCardInfo(string BaseModel, string Command, IReadOnlyList<KeyValuePair<string, string>> DataStatistics,
    string? MinedWith = null, string? DevMetric = null, string? BaseModelId = null);
