namespace Rerank.Lucene.Tokenization;

/// <summary>
/// A WordPiece vocabulary read from a BERT <c>vocab.txt</c>: one token per line, the id is the
/// 0-based line number (trailing whitespace trimmed; a token listed twice keeps its last line,
/// as Hugging Face's loaders do). The special tokens are looked up by name, never assumed.
/// </summary>
internal sealed class BertVocabulary
{
    /// <summary>The special tokens that Hugging Face's BERT tokenizer registers, in id-lookup order.</summary>
    public static readonly IReadOnlyList<string> SpecialTokenNames = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanIds;

    private BertVocabulary(Dictionary<string, int> ids, int count, string source, BertEncoderOptions? names)
    {
        names ??= new BertEncoderOptions();
        _ids = ids;
        _spanIds = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        Count = count;
        PadId = Required(names.PadToken, "pad_token", source);
        UnkId = Required(names.UnkToken, "unk_token", source);
        ClsId = Required(names.ClsToken, "cls_token", source);
        SepId = Required(names.SepToken, "sep_token", source);
        foreach (var extra in names.AdditionalSpecialTokens) Required(extra, "additional special token", source);
        SpecialTokens = new[] { names.PadToken, names.UnkToken, names.ClsToken, names.SepToken, names.MaskToken }
            .Concat(names.AdditionalSpecialTokens).Where(ids.ContainsKey).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Number of lines (ids) in the vocabulary.</summary>
    public int Count { get; }

    /// <summary>Id of <c>[PAD]</c>.</summary>
    public int PadId { get; }

    /// <summary>Id of <c>[UNK]</c>.</summary>
    public int UnkId { get; }

    /// <summary>Id of <c>[CLS]</c>.</summary>
    public int ClsId { get; }

    /// <summary>Id of <c>[SEP]</c>.</summary>
    public int SepId { get; }

    /// <summary>The special tokens present in this vocabulary (<c>[MASK]</c> is optional).</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>Reads a <c>vocab.txt</c> file (UTF-8).</summary>
    public static BertVocabulary Load(string path, BertEncoderOptions? names = null)
    {
        if (!File.Exists(path))
        {
            throw new InvalidInputException(
                $"Vocabulary file '{path}' does not exist. Pass the path of a BERT vocab.txt (one WordPiece token per line).",
                path);
        }
        return FromTokens(Utf8LineReader.ReadLines(path, "Vocabulary file", "a BERT vocab.txt (one WordPiece token per line)").Select(l => l.Text), path, names);
    }

    /// <summary>Builds a vocabulary from tokens in id order; <paramref name="source"/> names them in errors.</summary>
    public static BertVocabulary FromTokens(IEnumerable<string> tokens, string source, BertEncoderOptions? names = null)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var count = 0;
        foreach (var line in tokens) ids[line.TrimEnd()] = count++;
        return new BertVocabulary(ids, count, source, names);
    }

    /// <summary>The id of <paramref name="token"/>, or false when it is not in the vocabulary.</summary>
    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _spanIds.TryGetValue(token, out id);

    /// <summary>The id of a special token such as <c>[SEP]</c>.</summary>
    public int SpecialId(string token) => _ids[token];

    /// <summary>The tokens in id order (a token listed twice appears at its last id only; earlier ids hold it too).</summary>
    public IReadOnlyList<string> TokensById()
    {
        var tokens = new string[Count];
        foreach (var (token, id) in _ids) tokens[id] = token;
        for (var i = 0; i < tokens.Length; i++) tokens[i] ??= "";
        return tokens;
    }

    private int Required(string token, string setting, string source) =>
        _ids.TryGetValue(token, out var id)
            ? id
            : throw new InvalidInputException(
                $"Vocabulary '{source}' has no '{token}' entry ({setting}); the tokenizer's special tokens must be in its vocabulary. " +
                "Use the vocabulary that came with the model, or fix the special tokens in tokenizer_config.json.",
                source);
}
