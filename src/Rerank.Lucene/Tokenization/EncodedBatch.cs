namespace Rerank.Lucene.Tokenization;

/// <summary>
/// A batch of encodings padded to its longest member, as flat row-major arrays of shape
/// [<see cref="BatchSize"/>, <see cref="SequenceLength"/>]: row <c>r</c> occupies
/// <c>[r * SequenceLength, (r + 1) * SequenceLength)</c>. Padding is on the right, with the
/// <c>[PAD]</c> id, token type 0 and attention mask 0, as Hugging Face pads.
/// </summary>
public sealed class EncodedBatch
{
    internal EncodedBatch(int batchSize, int sequenceLength, long[] inputIds, long[] tokenTypeIds, long[] attentionMask)
    {
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        AttentionMask = attentionMask;
    }

    /// <summary>Number of rows (encodings).</summary>
    public int BatchSize { get; }

    /// <summary>Length of every row: the longest encoding of the batch (0 for an empty batch).</summary>
    public int SequenceLength { get; }

    /// <summary>Vocabulary ids; <c>[PAD]</c> after the end of each encoding.</summary>
    public long[] InputIds { get; }

    /// <summary>Token types (0 query side, 1 document side, 0 on padding).</summary>
    public long[] TokenTypeIds { get; }

    /// <summary>1 on real tokens, 0 on padding.</summary>
    public long[] AttentionMask { get; }
}
