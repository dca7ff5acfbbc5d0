using Rerank.Lucene.Tokenization;

namespace Rerank.Training.Trainer;

/// <summary>The library's <see cref="BertPairEncoder"/> behind the trainer's encoder seam.</summary>
internal sealed class BertPairBatchEncoder(BertPairEncoder encoder) : IPairBatchEncoder
{
    /// <inheritdoc />
    public EncodedPairBatch Encode(IReadOnlyList<(string Query, string Document)> pairs, int maxLength)
    {
        var b = encoder.EncodeBatch(pairs, maxLength);
        return new EncodedPairBatch(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.BatchSize, b.SequenceLength);
    }
}
