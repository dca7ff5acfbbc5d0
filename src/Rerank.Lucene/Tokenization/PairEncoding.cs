namespace Rerank.Lucene.Tokenization;

/// <summary>
/// One encoded input of a BERT model, unpadded: <c>[CLS] query [SEP] document [SEP]</c> for a pair
/// (or <c>[CLS] text [SEP]</c> for a single text). The three arrays have the same length; the
/// values are <see cref="long"/> because that is what the model's embedding lookup takes.
/// </summary>
public sealed class PairEncoding
{
    internal PairEncoding(long[] inputIds, long[] tokenTypeIds, long[] attentionMask, int? fullLength = null)
    {
        FullLength = fullLength ?? inputIds.Length;
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        AttentionMask = attentionMask;
    }

    /// <summary>Vocabulary ids, starting with <c>[CLS]</c>.</summary>
    public long[] InputIds { get; }

    /// <summary>0 for <c>[CLS]</c>, the query and the first <c>[SEP]</c>; 1 for the document and the last <c>[SEP]</c>.</summary>
    public long[] TokenTypeIds { get; }

    /// <summary>All 1: every position is a real token (padding happens in <see cref="EncodedBatch"/>).</summary>
    public long[] AttentionMask { get; }

    /// <summary>Number of tokens, special tokens included.</summary>
    public int Length => InputIds.Length;

    /// <summary>
    /// Number of tokens the input would have had without truncation, special tokens included: equal to
    /// <see cref="Length"/> when nothing was cut, greater when the max length cut it.
    /// </summary>
    public int FullLength { get; }
}
