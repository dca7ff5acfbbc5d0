namespace Rerank.Training.Trainer;

/// <summary>The seam to the tokenizer: encodes pairs as <c>[CLS] q [SEP] d [SEP]</c>, truncated longest-first and padded to the longest pair.</summary>
internal interface IPairBatchEncoder
{
    /// <summary>Encodes the pairs in the given order.</summary>
    EncodedPairBatch Encode(IReadOnlyList<(string Query, string Document)> pairs, int maxLength);
}
