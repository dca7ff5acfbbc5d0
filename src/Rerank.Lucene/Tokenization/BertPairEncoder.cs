namespace Rerank.Lucene.Tokenization;

/// <summary>
/// Turns (query, document) pairs into the input ids, token type ids and attention masks that
/// Hugging Face's fast uncased BERT tokenizer produces for a cross-encoder, id for id: the
/// tokenizer sentence-transformers' <c>CrossEncoder</c> calls with <c>truncation=True</c>
/// (longest first) and <c>padding=True</c> (to the longest pair of the batch).
/// </summary>
/// <remarks>
/// Unlike Microsoft.ML.Tokenizers' stock <c>BertTokenizer</c>, it splits off ASCII symbols such as
/// <c>= + &lt; |</c>, keeps other symbols (<c>± × ≥</c>, emoji) for WordPiece, strips accents,
/// drops control and format characters, spaces out CJK ideographs and treats only the exact,
/// upper-case special tokens (<c>[SEP]</c>, not <c>[sep]</c>) written in a text as special.
/// Thread-safe.
/// <example>
/// <code>
/// var encoder = new BertPairEncoder("models/default-reranker/vocab.txt");
/// var batch = encoder.EncodeBatch([("what is photosynthesis?", "Plants convert light ...")], maxLength: 256);
/// // batch.InputIds starts 101, 2054, 2003, 7760, 6038, 25078, 1029, 102 ([CLS] what is photos ##yn ##thesis ? [SEP])
/// </code>
/// </example>
/// </remarks>
public sealed class BertPairEncoder : IPairTokenizer
{
    private readonly BertTextTokenizer _tokenizer;
    private readonly BertVocabulary _vocabulary;
    private CachedQuery? _lastQuery;

    /// <summary>Loads the WordPiece vocabulary from a <c>vocab.txt</c> file (one token per line, id = line number).</summary>
    /// <param name="vocabPath">Path of the model's <c>vocab.txt</c>.</param>
    /// <param name="options">Settings; null means the defaults (uncased, 512 positions).</param>
    /// <exception cref="InvalidInputException">The file is missing or lacks [PAD], [UNK], [CLS] or [SEP].</exception>
    public BertPairEncoder(string vocabPath, BertEncoderOptions? options = null)
        : this(BertVocabulary.Load(vocabPath, options), options)
    {
    }

    private BertPairEncoder(BertVocabulary vocabulary, BertEncoderOptions? options)
    {
        Options = options ?? new BertEncoderOptions();
        if (Options.MaxPositions < 3)
        {
            throw new InvalidInputException(
                $"BertEncoderOptions.MaxPositions must be at least 3 ([CLS], [SEP] and one token), got {Options.MaxPositions}. " +
                "Use the model's max_position_embeddings (512 for BERT and MiniLM).");
        }
        _vocabulary = vocabulary;
        _tokenizer = new BertTextTokenizer(vocabulary, Options);
    }

    /// <summary>Creates an encoder from vocabulary entries in id order (what the lines of a <c>vocab.txt</c> hold).</summary>
    /// <param name="tokens">Token of id 0, 1, 2, ...; must include [PAD], [UNK], [CLS] and [SEP].</param>
    /// <param name="options">Settings; null means the defaults.</param>
    public static BertPairEncoder FromTokens(IEnumerable<string> tokens, BertEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return new BertPairEncoder(BertVocabulary.FromTokens(tokens, "(in-memory vocabulary)", options), options);
    }

    /// <summary>The settings this encoder was created with.</summary>
    public BertEncoderOptions Options { get; }

    /// <inheritdoc/>
    public int MaxPositions => Options.MaxPositions;

    /// <summary>Number of entries of the vocabulary (30522 for uncased BERT); ids are below it.</summary>
    public int VocabularySize => _vocabulary.Count;

    /// <summary>The id used for padding (<c>[PAD]</c>, 0 in BERT vocabularies).</summary>
    public int PadId => _vocabulary.PadId;

    /// <summary>
    /// Encodes <c>[CLS] query [SEP] document [SEP]</c>, truncated longest-first so that it has at
    /// most <paramref name="maxLength"/> tokens (see <see cref="PairTruncation"/> for the exact rule).
    /// Encoding the same query for many documents in a row tokenizes it once.
    /// </summary>
    /// <param name="query">The query (first segment, token type 0).</param>
    /// <param name="document">The document (second segment, token type 1).</param>
    /// <param name="maxLength">Most tokens in the result, special tokens included; from 4 to <see cref="BertEncoderOptions.MaxPositions"/>.</param>
    /// <exception cref="InvalidInputException"><paramref name="maxLength"/> is out of range.</exception>
    public PairEncoding Encode(string query, string document, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(document);
        CheckMaxLength(maxLength, 4, "a pair needs [CLS], [SEP], [SEP] and room for one token");
        return EncodePair(QueryIds(query), _tokenizer.Tokenize(document), maxLength);
    }

    /// <summary>
    /// Encodes a batch of pairs (each as <see cref="Encode"/>) and pads it to its longest pair.
    /// Each distinct query of the batch is tokenized once.
    /// </summary>
    /// <param name="pairs">The (query, document) pairs; the batch keeps their order.</param>
    /// <param name="maxLength">Most tokens per pair, from 4 to <see cref="BertEncoderOptions.MaxPositions"/>.</param>
    public EncodedBatch EncodeBatch(IReadOnlyList<(string Query, string Document)> pairs, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        CheckMaxLength(maxLength, 4, "a pair needs [CLS], [SEP], [SEP] and room for one token");
        var queries = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var encodings = new PairEncoding[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            var (query, document) = pairs[i];
            ArgumentNullException.ThrowIfNull(query);
            ArgumentNullException.ThrowIfNull(document);
            if (!queries.TryGetValue(query, out var queryIds)) queries[query] = queryIds = QueryIds(query);
            encodings[i] = EncodePair(queryIds, _tokenizer.Tokenize(document), maxLength);
        }
        return Pad(encodings);
    }

    /// <summary>Encodes one text as <c>[CLS] text [SEP]</c>, cut to at most <paramref name="maxLength"/> tokens; all token types 0.</summary>
    /// <param name="text">The text.</param>
    /// <param name="maxLength">Most tokens in the result, from 3 to <see cref="BertEncoderOptions.MaxPositions"/>.</param>
    public PairEncoding EncodeText(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        CheckMaxLength(maxLength, 3, "a text needs [CLS], [SEP] and room for one token");
        var ids = _tokenizer.Tokenize(text);
        var kept = Math.Min(ids.Length, maxLength - 2);
        var inputIds = new long[kept + 2];
        inputIds[0] = _vocabulary.ClsId;
        for (var i = 0; i < kept; i++) inputIds[i + 1] = ids[i];
        inputIds[kept + 1] = _vocabulary.SepId;
        var mask = new long[inputIds.Length];
        Array.Fill(mask, 1L);
        return new PairEncoding(inputIds, new long[inputIds.Length], mask, ids.Length + 2);
    }

    /// <summary>
    /// Pads encodings made by this encoder into one batch, to the longest of them. Useful to sort
    /// pairs by <see cref="PairEncoding.Length"/> first and pad each batch only as far as needed.
    /// </summary>
    /// <param name="encodings">Encodings from <see cref="Encode"/> or <see cref="EncodeText"/>.</param>
    public EncodedBatch Pad(IReadOnlyList<PairEncoding> encodings)
    {
        ArgumentNullException.ThrowIfNull(encodings);
        var width = 0;
        foreach (var e in encodings) width = Math.Max(width, e.Length);
        var inputIds = new long[encodings.Count * width];
        var tokenTypeIds = new long[inputIds.Length];
        var attentionMask = new long[inputIds.Length];
        if (_vocabulary.PadId != 0) Array.Fill(inputIds, _vocabulary.PadId);
        for (var row = 0; row < encodings.Count; row++)
        {
            var e = encodings[row];
            e.InputIds.CopyTo(inputIds, row * width);
            e.TokenTypeIds.CopyTo(tokenTypeIds, row * width);
            e.AttentionMask.CopyTo(attentionMask, row * width);
        }
        return new EncodedBatch(encodings.Count, width, inputIds, tokenTypeIds, attentionMask);
    }

    /// <summary>The vocabulary's tokens in id order (what a <c>vocab.txt</c> written from it holds, line by line).</summary>
    public IReadOnlyList<string> VocabularyTokens() => _vocabulary.TokensById();

    /// <summary>The WordPiece ids of <paramref name="text"/> without special tokens around them.</summary>
    internal int[] Tokenize(string text) => _tokenizer.Tokenize(text);

    private int[] QueryIds(string query)
    {
        var cached = _lastQuery;
        if (cached is not null && string.Equals(cached.Text, query, StringComparison.Ordinal)) return cached.Ids;
        var ids = _tokenizer.Tokenize(query);
        _lastQuery = new CachedQuery(query, ids);
        return ids;
    }

    private PairEncoding EncodePair(int[] query, int[] document, int maxLength)
    {
        var (keptQuery, keptDocument) = PairTruncation.LongestFirst(query.Length, document.Length, maxLength);
        var length = keptQuery + keptDocument + 3;
        var inputIds = new long[length];
        var tokenTypeIds = new long[length];
        var attentionMask = new long[length];
        Array.Fill(attentionMask, 1L);
        var at = 0;
        inputIds[at++] = _vocabulary.ClsId;
        for (var i = 0; i < keptQuery; i++) inputIds[at++] = query[i];
        inputIds[at++] = _vocabulary.SepId;
        var documentStart = at;
        for (var i = 0; i < keptDocument; i++) inputIds[at++] = document[i];
        inputIds[at] = _vocabulary.SepId;
        tokenTypeIds.AsSpan(documentStart).Fill(1L);
        return new PairEncoding(inputIds, tokenTypeIds, attentionMask, query.Length + document.Length + 3);
    }

    private void CheckMaxLength(int maxLength, int minimum, string why)
    {
        if (maxLength >= minimum && maxLength <= Options.MaxPositions) return;
        throw new InvalidInputException(
            $"maxLength must be between {minimum} and {Options.MaxPositions} ({why}; {Options.MaxPositions} is the model's " +
            $"max_position_embeddings), got {maxLength}. Choose a max length in that range.");
    }

    private sealed record CachedQuery(string Text, int[] Ids);
}
