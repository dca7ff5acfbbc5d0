using System.CommandLine;
using Rerank.Lucene;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Retrieval;
using Search.Host.Hosting;

namespace Search.Host.Cli;

/// <summary>
/// The first-stage flags of <c>search</c>, <c>eval</c> and <c>demo</c> (<c>--retrieval</c>, <c>--embedder</c>),
/// and the one place that turns them and an index into BM25, dense and hybrid retrievers.
/// </summary>
internal static class FirstStageOptions
{
    public static readonly Option<string> Retrieval = new("--retrieval")
    {
        Description = "First stage: bm25, dense (query embedding against the document vectors kept with the index) or hybrid "
            + "(BM25 top 100 + dense top 100, fused: see --fusion). Default: hybrid when the index has document vectors, else bm25.",
    };

    public static readonly Option<string> Embedder = new("--embedder")
    {
        Description = "Query embedder for dense/hybrid: bundled (all-MiniLM-L6-v2) or a sentence-transformers folder. Default: the model recorded in the index "
            + "(the bundled all-MiniLM-L6-v2 unless the index was built with --embedder DIR). It must be the model that embedded the documents.",
    };

    public static readonly Option<string> FusionOption = new("--fusion")
    {
        Description = "How hybrid fuses BM25 and dense: minmax (min-max normalised scores, weighted by --dense-weight; the default, tuned on dev) or rrf (reciprocal rank fusion, k = 60, parameter-free).",
    };

    public static readonly Option<double?> DenseWeight = new("--dense-weight")
    {
        Description = "With --fusion minmax: the dense weight w (0 to 1; BM25 gets 1 - w). Default 0.45 (tuned on SciFact dev and the classic collections' train splits).",
    };

    /// <summary>All first-stage flags, in help order.</summary>
    public static Option[] All => [Retrieval, Embedder, FusionOption, DenseWeight];

    /// <summary>The hybrid settings from <c>--fusion</c> and <c>--dense-weight</c>.</summary>
    /// <exception cref="InvalidInputException">An unknown method, a weight outside [0, 1], or a weight without minmax.</exception>
    public static HybridOptions HybridFrom(ParseResult parse)
    {
        var method = parse.GetValue(FusionOption)?.Trim().ToLowerInvariant() switch
        {
            "rrf" => FusionMethod.ReciprocalRank,
            null or "minmax" => FusionMethod.WeightedMinMax,
            var other => throw new InvalidInputException($"Unknown --fusion '{other}'. Use rrf or minmax."),
        };
        var weight = parse.GetValue(DenseWeight);
        if (weight is not null && method != FusionMethod.WeightedMinMax)
            throw new InvalidInputException("--dense-weight applies to --fusion minmax; add --fusion minmax or drop --dense-weight.");
        if (weight is < 0 or > 1 || (weight is { } w && double.IsNaN(w)))
            throw new InvalidInputException($"--dense-weight must be between 0 and 1, found {weight}.");
        return new HybridOptions { Method = method, DenseWeight = weight ?? HybridOptions.DefaultDenseWeight };
    }

    /// <summary>Opens the first stages an index supports and picks the one asked for (or the default).</summary>
    /// <param name="bm25">The open index.</param>
    /// <param name="retrieval">The --retrieval value, or null for the default.</param>
    /// <param name="embedder">The --embedder value, or null for the index's own.</param>
    /// <param name="options">Host settings (device, threads, engine: <see cref="QueryEncoderOptions"/>).</param>
    /// <param name="defaultToBm25">Default to bm25 even when the index has vectors (e.g. with --lucene-syntax).</param>
    /// <param name="hybridOptions">How hybrid fuses (<see cref="HybridFrom"/>); default weighted min-max.</param>
    public static FirstStages Open(Bm25Searcher bm25, string? retrieval, string? embedder, SearchHostOptions options, bool defaultToBm25 = false, HybridOptions? hybridOptions = null) =>
        FirstStages.Open(bm25, retrieval, embedder, QueryEncoderOptions(options), hybridOptions, defaultToBm25);

    /// <summary>
    /// The query embedder's settings: the reranker's device, threads and engine (--device, --threads, --engine apply to both
    /// models); its precision stays auto, which is the precision the index's vectors were made at.
    /// </summary>
    public static BiEncoderOptions QueryEncoderOptions(SearchHostOptions options) => new()
    {
        Device = options.Reranker.Device,
        Threads = options.Reranker.Threads,
        Engine = RerankingOptions.ToEncoderOptions(options.Reranker).Engine,
    };

    /// <summary>
    /// The query embedder of a dense or hybrid first stage as JSON writes it (<c>search --json</c>, <c>eval --json</c>, serve's
    /// /search: <c>"embedder": {"engine", "precision"}</c>, beside the reranker's <c>engine</c> and <c>precision</c>);
    /// null for BM25, which embeds nothing. After the index was rebuilt at another precision, the embedder reloaded for it.
    /// </summary>
    public static EmbedderJson? EmbedderOf(FirstStages stages) => stages.Kind == "bm25" || stages.Dense is not { } dense ? null
        : dense.Encoder is var e ? new EmbedderJson(Rerank.Lucene.Reranking.InferenceEngineSelection.Name(e.Engine), Rerank.Lucene.Reranking.InferenceEngineSelection.Name(e.Precision)) : null;

    /// <summary>"hybrid (BM25 top 100 + dense top 100 by all-MiniLM-L6-v2, min-max fusion, dense weight 0.45)".</summary>
    public static string Describe(FirstStages stages) => stages.Describe();
}

/// <summary>The query embedder in JSON answers: its engine (onnxruntime, torchsharp) and precision (fp32, int8).</summary>
internal sealed record EmbedderJson(
    [property: System.Text.Json.Serialization.JsonPropertyName("engine")] string Engine,
    [property: System.Text.Json.Serialization.JsonPropertyName("precision")] string Precision);
