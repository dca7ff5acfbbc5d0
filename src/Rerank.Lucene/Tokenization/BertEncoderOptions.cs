namespace Rerank.Lucene.Tokenization;

/// <summary>Settings of a <see cref="BertPairEncoder"/>; the defaults fit uncased BERT/MiniLM cross-encoders.</summary>
public sealed record BertEncoderOptions
{
    /// <summary>
    /// Lowercase the text and strip accents (NFD, then drop non-spacing marks), as Hugging Face's
    /// uncased tokenizers do (<c>do_lower_case=True</c>, <c>strip_accents</c> unset, so it follows
    /// lowercasing). Default true: the MiniLM and ms-marco cross-encoders are uncased. Set false
    /// only for a cased vocabulary; then neither lowercasing nor accent stripping happens.
    /// </summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>
    /// The largest sequence length an encoding may have: the model's
    /// <c>max_position_embeddings</c>. Default 512 (BERT and MiniLM). A <c>maxLength</c> above it
    /// is rejected, because the model has no position embedding for the extra tokens.
    /// </summary>
    public int MaxPositions { get; init; } = 512;
}
