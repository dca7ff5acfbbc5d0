namespace Rerank.Lucene.Tokenization;

/// <summary>
/// Turns (query, document) pairs into the ids a cross-encoder of one architecture takes, as its Hugging Face fast
/// tokenizer does with <c>truncation=True</c> (longest first) and padding to the longest pair of a batch. One
/// implementation per tokenizer family (WordPiece for BERT and ELECTRA, SentencePiece Unigram for XLM-RoBERTa).
/// </summary>
public interface IPairTokenizer
{
    /// <summary>The longest encoding the model takes (its usable positions).</summary>
    int MaxPositions { get; }

    /// <summary>One pair with its special tokens, truncated longest-first to at most <paramref name="maxLength"/> tokens; unpadded.</summary>
    /// <exception cref="InvalidInputException"><paramref name="maxLength"/> is out of range.</exception>
    PairEncoding Encode(string query, string document, int maxLength);

    /// <summary>Pairs encoded as <see cref="Encode"/> and padded to the longest.</summary>
    EncodedBatch EncodeBatch(IReadOnlyList<(string Query, string Document)> pairs, int maxLength);

    /// <summary>Pads encodings made by this tokenizer into one batch (pad id, mask 0, token type 0).</summary>
    EncodedBatch Pad(IReadOnlyList<PairEncoding> encodings);
}
