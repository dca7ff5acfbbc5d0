using Rerank.Lucene.Tokenization;

namespace Rerank.Training.Trainer;

/// <summary>The library's pair tokenizer of any architecture (<see cref="IPairTokenizer"/>) behind the trainer's encoder seam.</summary>
internal sealed class PairBatchEncoder(IPairTokenizer encoder) : IPairBatchEncoder
{
    /// <inheritdoc />
    public EncodedPairBatch Encode(IReadOnlyList<(string Query, string Document)> pairs, int maxLength)
    {
        var b = encoder.EncodeBatch(pairs, maxLength);
        return new EncodedPairBatch(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.BatchSize, b.SequenceLength);
    }
}
