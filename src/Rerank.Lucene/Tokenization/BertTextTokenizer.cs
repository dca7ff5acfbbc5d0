namespace Rerank.Lucene.Tokenization;

/// <summary>
/// Text to WordPiece ids the way Hugging Face's fast BERT tokenizer does it, without special
/// tokens around the result:
/// <list type="number">
/// <item>special tokens written literally in the raw text (<c>[SEP]</c>, <c>[CLS]</c>, <c>[PAD]</c>,
/// <c>[UNK]</c>, <c>[MASK]</c>, case-sensitive, before any normalization) become their ids:
/// <c>"a [SEP] b"</c> gives <c>a</c>, 102, <c>b</c>, while <c>"[sep]"</c> is ordinary text
/// (<c>[</c>, <c>sep</c>, <c>]</c>). Where several match at one place the longest wins, and the
/// leftmost match is taken first (<c>"[[SEP]]"</c> gives <c>[</c>, 102, <c>]</c>);</item>
/// <item>each piece between them is normalized (<see cref="BertNormalizer"/>), split into words
/// (<see cref="BertPreTokenizer"/>) and each word into WordPiece ids (<see cref="WordPiece"/>).</item>
/// </list>
/// Thread-safe: it holds no mutable state.
/// </summary>
internal sealed class BertTextTokenizer
{
    private readonly BertVocabulary _vocabulary;
    private readonly BertNormalizer _normalizer;
    private readonly WordPiece _wordPiece;
    private readonly (string Token, int Id)[] _specials;

    /// <summary>Creates a tokenizer over <paramref name="vocabulary"/>.</summary>
    public BertTextTokenizer(BertVocabulary vocabulary, BertEncoderOptions options)
    {
        _vocabulary = vocabulary;
        _normalizer = new BertNormalizer(options.Lowercase, options.StripsAccents, options.TokenizeChineseChars);
        _wordPiece = new WordPiece(vocabulary);
        _specials = vocabulary.SpecialTokens.Select(t => (t, vocabulary.SpecialId(t))).ToArray();
    }

    /// <summary>The vocabulary the ids refer to.</summary>
    public BertVocabulary Vocabulary => _vocabulary;

    /// <summary>The ids of <paramref name="text"/>, without <c>[CLS]</c>/<c>[SEP]</c> around them.</summary>
    public int[] Tokenize(string text)
    {
        var ids = new List<int>(text.Length / 4 + 4);
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            var (at, length, id) = FindSpecial(rest);
            if (at < 0)
            {
                TokenizePlain(rest, ids);
                break;
            }
            TokenizePlain(rest[..at], ids);
            ids.Add(id);
            rest = rest[(at + length)..];
        }
        return ids.ToArray();
    }

    private void TokenizePlain(ReadOnlySpan<char> text, List<int> ids)
    {
        if (text.IsEmpty) return;
        var normalized = _normalizer.Normalize(text);
        BertPreTokenizer.Split(normalized, (this, ids), static (word, state) => state.Item1._wordPiece.Tokenize(word, state.ids));
    }

    /// <summary>Leftmost special token in <paramref name="text"/>, longest at that place; at = -1 when none.</summary>
    private (int At, int Length, int Id) FindSpecial(ReadOnlySpan<char> text)
    {
        var best = (At: -1, Length: 0, Id: 0);
        foreach (var (token, id) in _specials)
        {
            var at = text.IndexOf(token, StringComparison.Ordinal);
            if (at < 0) continue;
            if (best.At < 0 || at < best.At || (at == best.At && token.Length > best.Length)) best = (at, token.Length, id);
        }
        return best;
    }
}
