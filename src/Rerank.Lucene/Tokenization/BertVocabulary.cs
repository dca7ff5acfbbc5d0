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

    private BertVocabulary(Dictionary<string, int> ids, int count, string source)
    {
        _ids = ids;
        _spanIds = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        Count = count;
        PadId = Required("[PAD]", source);
        UnkId = Required("[UNK]", source);
        ClsId = Required("[CLS]", source);
        SepId = Required("[SEP]", source);
        SpecialTokens = SpecialTokenNames.Where(ids.ContainsKey).ToArray();
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
    public static BertVocabulary Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidInputException(
                $"Vocabulary file '{path}' does not exist. Pass the path of a BERT vocab.txt (one WordPiece token per line).",
                path);
        }
        return FromTokens(Utf8LineReader.ReadLines(path, "Vocabulary file", "a BERT vocab.txt (one WordPiece token per line)").Select(l => l.Text), path);
    }

    /// <summary>Builds a vocabulary from tokens in id order; <paramref name="source"/> names them in errors.</summary>
    public static BertVocabulary FromTokens(IEnumerable<string> tokens, string source)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var count = 0;
        foreach (var line in tokens) ids[line.TrimEnd()] = count++;
        return new BertVocabulary(ids, count, source);
    }

    /// <summary>The id of <paramref name="token"/>, or false when it is not in the vocabulary.</summary>
    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _spanIds.TryGetValue(token, out id);

    /// <summary>The id of a special token such as <c>[SEP]</c>.</summary>
    public int SpecialId(string token) => _ids[token];

    private int Required(string token, string source) =>
        _ids.TryGetValue(token, out var id)
            ? id
            : throw new InvalidInputException(
                $"Vocabulary '{source}' has no '{token}' line; a BERT vocab.txt needs [PAD], [UNK], [CLS] and [SEP]. " +
                "Use the vocab.txt that came with the model.",
                source);
}
