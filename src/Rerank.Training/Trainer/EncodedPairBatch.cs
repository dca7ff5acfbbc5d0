namespace Rerank.Training.Trainer;

/// <summary>
/// A padded batch of encoded (query, document) pairs as flat row-major arrays of shape
/// [<see cref="Rows"/>, <see cref="Length"/>], the form the pair encoder produces.
/// </summary>
internal sealed record EncodedPairBatch(long[] InputIds, long[] AttentionMask, long[] TokenTypeIds, int Rows, int Length);
