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
    /// Strip accents (NFD, then drop non-spacing marks): Hugging Face's <c>strip_accents</c>. Null (the
    /// default) follows <see cref="Lowercase"/>, as Hugging Face does when the setting is unset.
    /// </summary>
    public bool? StripAccents { get; init; }

    /// <summary>Put spaces around CJK ideographs so each is a word (<c>tokenize_chinese_chars</c>, default true).</summary>
    public bool TokenizeChineseChars { get; init; } = true;

    /// <summary>The unknown-word token (<c>unk_token</c>, default <c>[UNK]</c>).</summary>
    public string UnkToken { get; init; } = "[UNK]";

    /// <summary>The separator (<c>sep_token</c>, default <c>[SEP]</c>).</summary>
    public string SepToken { get; init; } = "[SEP]";

    /// <summary>The padding token (<c>pad_token</c>, default <c>[PAD]</c>).</summary>
    public string PadToken { get; init; } = "[PAD]";

    /// <summary>The classification token that starts every input (<c>cls_token</c>, default <c>[CLS]</c>).</summary>
    public string ClsToken { get; init; } = "[CLS]";

    /// <summary>The mask token (<c>mask_token</c>, default <c>[MASK]</c>); optional in the vocabulary.</summary>
    public string MaskToken { get; init; } = "[MASK]";

    /// <summary>
    /// Further special tokens (<c>additional_special_tokens</c>, <c>bos_token</c>, <c>eos_token</c>): like the
    /// five above, written literally in a text they become their own id. Each must be in the vocabulary.
    /// </summary>
    public IReadOnlyList<string> AdditionalSpecialTokens { get; init; } = [];

    /// <summary>True when accents are stripped: <see cref="StripAccents"/>, or <see cref="Lowercase"/> when that is null.</summary>
    public bool StripsAccents => StripAccents ?? Lowercase;

    /// <summary>
    /// The largest sequence length an encoding may have: the model's
    /// <c>max_position_embeddings</c>. Default 512 (BERT and MiniLM). A <c>maxLength</c> above it
    /// is rejected, because the model has no position embedding for the extra tokens.
    /// </summary>
    public int MaxPositions { get; init; } = 512;
}
