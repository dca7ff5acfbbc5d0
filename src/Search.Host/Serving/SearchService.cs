using System.Text.Json.Serialization;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Rerank.Lucene;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Search.Host.Cli;

namespace Search.Host.Serving;

/// <summary>
/// What <c>serve</c> answers with: the pipeline of <c>search-host search</c> (the same first stage from
/// <see cref="FirstStageOptions"/>, the same <see cref="RerankingSearcher"/> and rescore window,
/// <see cref="RerankWindow"/>), except that cross-encoder scores come through the <see cref="DynamicBatcher"/>.
/// Owns the index, the encoders and the batcher.
/// </summary>
internal sealed class SearchService : IDisposable
{
    private readonly Bm25Searcher? _bm25;
    private readonly FirstStages? _stages;
    private readonly Analyzer? _analyzer;

    public SearchService(Bm25Searcher? bm25, FirstStages? stages, CrossEncoder? encoder, RerankingSearcher? reranker, DynamicBatcher batcher)
    {
        _bm25 = bm25;
        _stages = stages;
        Encoder = encoder;
        Reranker = reranker;
        Batcher = batcher;
        if (bm25 is not null) _analyzer = IndexAnalyzer.Create(bm25.Manifest.Analyzer, bm25.IndexDirectory);
    }

    /// <summary>This service with another batcher (the current one is not disposed); the index and encoders are shared, so dispose only one of the two.</summary>
    internal SearchService WithBatcher(DynamicBatcher batcher) => new(_bm25, _stages, Encoder, Reranker, batcher);

    /// <summary>The cross-encoder, or null when serving BM25 (or dense/hybrid) only.</summary>
    public CrossEncoder? Encoder { get; }

    /// <summary>The reranking pipeline, or null without an index or an encoder.</summary>
    public RerankingSearcher? Reranker { get; }

    /// <summary>Coalesces cross-encoder pairs across requests.</summary>
    public DynamicBatcher Batcher { get; }

    /// <summary>The open index, or null when serving /rerank only.</summary>
    public Bm25Searcher? Index => _bm25;

    /// <summary>The dense searcher of a dense or hybrid first stage, or null.</summary>
    public DenseSearcher? Dense => _stages?.Dense;

    /// <summary>bm25, dense or hybrid; null without an index.</summary>
    public string? Retrieval => _stages?.Kind;

    /// <summary>
    /// Null when queries can be answered; otherwise why not: the index was rebuilt in place with vectors whose query embedder
    /// could not be loaded, or by another embedder than the one the reranker's fusion was tuned over (<see cref="EmbedderReloadException"/>),
    /// and only a restart helps. Checks for a rebuild first, as a query would.
    /// </summary>
    public string? Unusable()
    {
        if (_stages?.Dense is not { } dense) return null;
        try
        {
            _ = dense.Encoder;
            // A reranker's tuned fusion holds over its embedder's vectors only (HybridSearcher.RequireTunedEmbedder).
            if (_stages.Kind == "hybrid") _stages.Hybrid?.RequireTunedEmbedder();
            return null;
        }
        catch (EmbedderReloadException e)
        {
            return e.Message;
        }
    }

    /// <summary>The first stage in words, as <c>search</c> prints it.</summary>
    public string? RetrievalDescription => _stages is null ? null : FirstStageOptions.Describe(_stages);

    /// <summary>Answers one query: the shape of <c>search --json</c>, plus the score mode and the query terms' places in each snippet.</summary>
    /// <exception cref="InvalidInputException">The query is empty after analysis or otherwise unusable.</exception>
    /// <param name="query">The query text.</param>
    /// <param name="top">Hits to return.</param>
    /// <param name="rerank">False for the first stage alone.</param>
    /// <param name="filter">Conditions on kept fields, applied before the top k as <c>search --filter</c> applies them (the reranker sees only matching candidates); null for none.</param>
    /// <param name="offset">Hits to skip, as <c>search --offset</c>: the answer is hits offset + 1 to offset + top of the list of offset + top, ranks absolute; empty past the last hit. At least 0.</param>
    /// <param name="highlight">True to add each hit's <c>highlights</c> and <c>title_highlights</c>, as <c>search --highlight --json</c> (<see cref="HitHighlights"/>).</param>
    /// <param name="ct">Cancels the request's work.</param>
    public async Task<SearchResponse> SearchAsync(string query, int top, bool rerank, DocumentFilter? filter, int offset, bool highlight, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var depth = Cli.SearchCommand.PageDepth(top, offset);
        Func<string, IReadOnlyList<HighlightFragment>>? highlighter = highlight ? t => _bm25!.Highlight(query, t, syntax: QuerySyntax.BagOfWords) : null;
        var stages = _stages ?? throw new InvalidOperationException("no index");
        var filtered = DocumentFilter.Filtered(stages.Chosen, filter);
        IReadOnlyList<SearchHit> FirstStage(string text, int k) =>
            stages.Kind == "bm25" ? _bm25!.Search(text, k, QuerySyntax.BagOfWords, filter) : filtered.Search(text, k);

        var terms = QueryTerms(query);
        if (!rerank || Reranker is null)
        {
            var hits = FirstStage(query, depth).Skip(offset);
            return new SearchResponse(query, stages.Kind, FirstStageOptions.EmbedderOf(stages), FirstStageOptions.FusionOf(stages), null, null, null, false, null, null,
                hits.Select(h => (object)FirstStageHit(h, terms, highlighter)).ToList());
        }
        var reranker = Reranker;
        var shown = await RerankWindow.SearchAsync(FirstStage, reranker, async (q, window) =>
        {
            // The pairs search would score (passages included), scored through the batcher, then combined as search does.
            var pairs = reranker.Pairs(q, window);
            var scores = await Batcher.ScoreAsync(pairs.Items, ct);
            return reranker.Rank(window, pairs.Aggregate(scores));
        }, query, depth);
        return new SearchResponse(query, stages.Kind, FirstStageOptions.EmbedderOf(stages), FirstStageOptions.FusionOf(stages),
            InferenceEngineSelection.Name(Encoder!.Engine), InferenceEngineSelection.Name(Encoder.Precision), PassagesJson.Of(reranker.Passages), true, reranker.ScoreMode.ToString().ToLowerInvariant(), reranker.Weight,
            shown.Skip(offset).Select(h => (object)RerankedHit(h, terms, highlighter)).ToList());
    }

    private FirstStageHitResponse FirstStageHit(SearchHit h, HashSet<string> terms, Func<string, IReadOnlyList<HighlightFragment>>? highlighter)
    {
        var snippet = Snippet.Of(h.Text);
        var (text, title) = highlighter is null ? (null, null) : HitHighlights.Of(highlighter, h.Title, h.Text);
        return new FirstStageHitResponse(h.Rank, h.DocId, h.Score, h.Title, snippet, Marks(snippet, terms), Marks(h.Title, terms), text, title);
    }

    private RerankedHitResponse RerankedHit(ShownHit h, HashSet<string> terms, Func<string, IReadOnlyList<HighlightFragment>>? highlighter)
    {
        var snippet = Snippet.Of(h.Text);
        var (text, title) = highlighter is null ? (null, null) : HitHighlights.Of(highlighter, h.Title, h.Text);
        return new RerankedHitResponse(h.Rank, h.DocId, h.Score, h.FirstStageRank, h.FirstStageScore, h.CrossEncoderScore, h.Title, snippet,
            Marks(snippet, terms), Marks(h.Title, terms), text, title);
    }

    /// <summary>The analyzed terms of the query (stemmed, stop words gone), as the index sees them.</summary>
    private HashSet<string> QueryTerms(string query)
    {
        var terms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (term, _, _) in Tokens(query)) terms.Add(term);
        return terms;
    }

    /// <summary>[start, end) character ranges of <paramref name="text"/> whose analyzed form is a query term.</summary>
    private List<int[]> Marks(string text, HashSet<string> terms) =>
        Tokens(text).Where(t => terms.Contains(t.Term)).Select(t => new[] { t.Start, t.End }).ToList();

    private List<(string Term, int Start, int End)> Tokens(string text)
    {
        var tokens = new List<(string, int, int)>();
        if (_analyzer is null) return tokens;
        using var stream = _analyzer.GetTokenStream("text", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        var offset = stream.AddAttribute<IOffsetAttribute>();
        stream.Reset();
        while (stream.IncrementToken()) tokens.Add((term.ToString(), offset.StartOffset, offset.EndOffset));
        stream.End();
        return tokens;
    }

    /// <summary>
    /// Scores texts against a query through the batcher, as text-embeddings-inference's /rerank: results sorted by
    /// score descending (ties by index). <paramref name="rawScores"/>: true gives the model's logits, false its
    /// sigmoid, whichever activation the model applies.
    /// </summary>
    /// <exception cref="RequestProblem">A pair is too long and <paramref name="truncate"/> is false.</exception>
    public async Task<List<RerankResult>> RerankAsync(string query, IReadOnlyList<string> texts, bool rawScores, bool returnText, bool truncate, CancellationToken ct)
    {
        var encoder = Encoder ?? throw new InvalidOperationException("no reranker");
        if (!truncate)
        {
            for (var i = 0; i < texts.Count; i++)
            {
                // Only a pair longer than the model's max length is refused; one of exactly MaxLength tokens fits as it is.
                var length = encoder.Encode(query, texts[i]).FullLength;
                if (length > encoder.MaxLength)
                    throw new RequestProblem(413, "Input too long",
                        $"texts[{i}] with the query is {length} tokens, more than the model's limit of {encoder.MaxLength} (--max-length {encoder.MaxLength}). " +
                        "Send \"truncate\": true to cut it longest-first, or shorten it.");
            }
        }
        var scores = await Batcher.ScoreAsync(texts.Select(t => (query, t)).ToList(), ct);
        var sigmoid = encoder.Activation == ScoreActivation.Sigmoid;
        return Enumerable.Range(0, texts.Count)
            .Select(i => new RerankResult(i, Reported(scores[i], sigmoid, rawScores), returnText ? texts[i] : null))
            .OrderByDescending(r => r.Score).ThenBy(r => r.Index)
            .ToList();
    }

    /// <summary>The score as asked for: a sigmoid model's logit is recovered as ln(p / (1 - p)) in double precision.</summary>
    private static double Reported(float score, bool sigmoidModel, bool raw) => (sigmoidModel, raw) switch
    {
        (true, false) or (false, true) => score,
        (false, false) => 1.0 / (1.0 + Math.Exp(-score)),
        (true, true) => Math.Log(score / (1.0 - score)),
    };

    public void Dispose()
    {
        Batcher.Dispose();
        _analyzer?.Dispose();
        Encoder?.Dispose();
        _stages?.Dispose();
        _bm25?.Dispose();
    }
}

/// <summary>A bad request, answered as problem+json with <see cref="Status"/>.</summary>
internal sealed class RequestProblem(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;
}

/// <summary>
/// One /search answer. <c>query</c>, <c>retrieval</c>, <c>embedder</c> (dense and hybrid only), <c>fusion</c> (hybrid only),
/// <c>engine</c>, <c>precision</c> and <c>passages</c> (the reranker's, reranked answers only) and <c>hits</c> are exactly <c>search --json</c>'s;
/// <c>reranked</c>, <c>score_mode</c> and <c>interpolation_weight</c> say how the hits were ranked.
/// </summary>
internal sealed record SearchResponse(
    [property: JsonPropertyName("query")] string Query,
    [property: JsonPropertyName("retrieval")] string Retrieval,
    [property: JsonPropertyName("embedder"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EmbedderJson? Embedder,
    [property: JsonPropertyName("fusion"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] FusionJson? Fusion,
    [property: JsonPropertyName("engine"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Engine,
    [property: JsonPropertyName("precision"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Precision,
    [property: JsonPropertyName("passages"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PassagesJson? Passages,
    [property: JsonPropertyName("reranked")] bool Reranked,
    [property: JsonPropertyName("score_mode"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ScoreMode,
    [property: JsonPropertyName("interpolation_weight"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Weight,
    [property: JsonPropertyName("hits")] IReadOnlyList<object> Hits);

/// <summary>
/// One hit without reranking, as <c>search --json --no-rerank</c> writes it (score: the first stage's), plus
/// <c>snippet_marks</c> and <c>title_marks</c>: [start, end) UTF-16 ranges whose analyzed form is a query term. With
/// <c>highlight</c>, <c>highlights</c> and <c>title_highlights</c> as <c>search --highlight --json</c> writes them; absent otherwise.
/// </summary>
internal sealed record FirstStageHitResponse(
    [property: JsonPropertyName("rank")] int Rank,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("score")] float Score,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("snippet")] string Snippet,
    [property: JsonPropertyName("snippet_marks")] IReadOnlyList<int[]> SnippetMarks,
    [property: JsonPropertyName("title_marks")] IReadOnlyList<int[]> TitleMarks,
    [property: JsonPropertyName("highlights"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<HighlightJson>? Highlights,
    [property: JsonPropertyName("title_highlights"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<HighlightJson>? TitleHighlights);

/// <summary>
/// One reranked hit, as <c>search --json</c> writes it (<c>cross_encoder_score</c> null below the rescore window), plus the marks,
/// and with <c>highlight</c> the highlights as <c>search --highlight --json</c> writes them.
/// </summary>
internal sealed record RerankedHitResponse(
    [property: JsonPropertyName("rank")] int Rank,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("first_stage_rank")] int FirstStageRank,
    [property: JsonPropertyName("first_stage_score")] float FirstStageScore,
    [property: JsonPropertyName("cross_encoder_score")] float? CrossEncoderScore,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("snippet")] string Snippet,
    [property: JsonPropertyName("snippet_marks")] IReadOnlyList<int[]> SnippetMarks,
    [property: JsonPropertyName("title_marks")] IReadOnlyList<int[]> TitleMarks,
    [property: JsonPropertyName("highlights"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<HighlightJson>? Highlights,
    [property: JsonPropertyName("title_highlights"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<HighlightJson>? TitleHighlights);

/// <summary>The /v1/rerank answer, in the shape of Cohere's rerank API.</summary>
internal sealed record CohereRerankResponse([property: JsonPropertyName("results")] IReadOnlyList<CohereRerankResult> Results);

/// <summary>
/// One /v1/rerank result. The score is always written with a decimal point (1.0, never 1): OpenSearch's
/// connector.post_process.cohere.rerank reads it as a floating-point number and fails on an integer.
/// </summary>
internal sealed record CohereRerankResult(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("relevance_score"), JsonConverter(typeof(DecimalPointDoubleConverter))] double RelevanceScore,
    [property: JsonPropertyName("document"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CohereDocument? Document);

/// <summary>A document echoed by /v1/rerank.</summary>
internal sealed record CohereDocument([property: JsonPropertyName("text")] string Text);

/// <summary>Writes a double in its shortest round-trip form, with ".0" added when that form has no decimal point or exponent.</summary>
internal sealed class DecimalPointDoubleConverter : JsonConverter<double>
{
    public override double Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => reader.GetDouble();

    public override void Write(System.Text.Json.Utf8JsonWriter writer, double value, System.Text.Json.JsonSerializerOptions options)
    {
        var text = value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        if (!double.IsFinite(value)) throw new InvalidOperationException($"score {text} is not a number JSON can carry");
        writer.WriteRawValue(text.AsSpan().IndexOfAny(".eE") >= 0 ? text : text + ".0", skipInputValidation: true);
    }
}

/// <summary>One /rerank result, as text-embeddings-inference writes it.</summary>
internal sealed record RerankResult(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("text"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Text);
