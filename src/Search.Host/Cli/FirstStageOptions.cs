using System.CommandLine;
using Rerank.Lucene;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Search.Host.Hosting;

namespace Search.Host.Cli;

/// <summary>
/// The first-stage flags of <c>search</c>, <c>eval</c> and <c>demo</c> (<c>--retrieval</c>, <c>--embedder</c>),
/// and the one place that turns them and an index into BM25, dense and hybrid retrievers.
/// </summary>
internal static class FirstStageOptions
{
    public static readonly Option<string> Retrieval = new Option<string>("--retrieval")
    {
        Description = "First stage: bm25, dense (query embedding against the document vectors kept with the index) or hybrid "
            + "(BM25 top 100 + dense top 100, fused: see --fusion). Default: hybrid when the index has document vectors, else bm25.",
    }.OneOf(["bm25", "dense", "hybrid"], value => $"Unknown --retrieval '{value}'. Use bm25, dense or hybrid.");

    public static readonly Option<string> Embedder = new Option<string>("--embedder")
    {
        Description = "Query embedder for dense/hybrid: bundled (all-MiniLM-L6-v2) or a sentence-transformers folder. Default: the model recorded in the index "
            + "(the bundled all-MiniLM-L6-v2 unless the index was built with --embedder DIR). It must be the model that embedded the documents.",
    }.NotEmpty("pass bundled or the sentence-transformers folder the index was embedded with, or omit --embedder to use the model the index records.");

    public static readonly Option<string> FusionOption = new Option<string>("--fusion")
    {
        Description = "How hybrid fuses BM25 and dense: minmax (min-max normalised scores, weighted by --dense-weight; the default, tuned on dev) or rrf (reciprocal rank fusion, k = 60, parameter-free). "
            + "When neither --fusion nor --dense-weight is given and the reranker carries a fusion tuned by rerank-train (searchrerank.json), that one is used, over the vectors of the embedder it was tuned with only.",
    }.OneOf(["minmax", "rrf"], value => $"Unknown --fusion '{value}'. Use rrf or minmax.");

    public static readonly Option<double?> DenseWeight = new("--dense-weight")
    {
        Description = "With --fusion minmax: the dense weight w (0 to 1; BM25 gets 1 - w). Default: the reranker's tuned fusion when it carries one (searchrerank.json, "
            + "from rerank-train) and --fusion is not given, else 0.45 (tuned on SciFact dev and the classic collections' train splits).",
    };

    /// <summary>
    /// Checks the first-stage flags' values against each other (<c>--dense-weight</c> with <c>--fusion rrf</c>, a weight outside [0, 1]),
    /// without reading any file, for commands that look for files before they open the first stages (<c>demo</c>); single values
    /// (an unknown <c>--retrieval</c> or <c>--fusion</c>) are refused while parsing.
    /// </summary>
    /// <exception cref="InvalidInputException">As <see cref="HybridFrom(ParseResult)"/>.</exception>
    public static void CheckValues(ParseResult parse) => _ = HybridFrom(parse);

    /// <summary>All first-stage flags, in help order.</summary>
    public static Option[] All => [Retrieval, Embedder, FusionOption, DenseWeight];

    /// <summary>
    /// The hybrid settings: from <c>--fusion</c> and <c>--dense-weight</c> when either is given; else the tuned fusion of the reranker
    /// <paramref name="model"/> (<see cref="RerankerSettings.Fusion"/>, bound to the embedder it was tuned over:
    /// <see cref="HybridOptions.TunedWith"/>) when it carries one; else the default (weighted min-max, <see cref="HybridOptions.DefaultDenseWeight"/>).
    /// </summary>
    /// <param name="parse">The command line.</param>
    /// <param name="model">The reranker the command ranks with (a model folder), or null when it reranks with none.</param>
    /// <param name="options">Host settings: whether <paramref name="model"/> is the default reranker (no model configured), for the message on a bad settings file.</param>
    /// <exception cref="InvalidInputException">An unknown method, a weight outside [0, 1], or a weight without minmax; the model's
    /// <c>searchrerank.json</c> is not valid (read only when neither flag is given).</exception>
    public static HybridOptions HybridFrom(ParseResult parse, string? model, SearchHostOptions options)
    {
        var flags = FlagsGiven(parse);
        var fromFlags = HybridFrom(parse);
        if (flags || model is null) return fromFlags;
        return DefaultRerankerLoader.Settings(model, options).Fusion is { } tuned ? tuned.ToHybridOptions() : fromFlags;
    }

    // Given on the command line (an option's default value is not "given").
    private static bool FlagsGiven(ParseResult parse) => FusionFlagsGiven(parse).Count > 0;

    /// <summary>The fusion flags given on the command line (--fusion, --dense-weight), in that order.</summary>
    public static IReadOnlyList<string> FusionFlagsGiven(ParseResult parse) =>
        [.. new[] { (Option)FusionOption, DenseWeight }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name)];

    /// <summary>
    /// Refuses fusion flags (<paramref name="given"/>) that no stage of <paramref name="index"/> would use: the stage searched is not hybrid (or, with
    /// <paramref name="anyHybrid"/>, as for eval's hybrid column, the index has no hybrid stage at all). A setting is never ignored.
    /// </summary>
    /// <exception cref="InvalidInputException">Names the flags, the stage used and the way out.</exception>
    public static void RequireFusionApplies(IReadOnlyList<string> given, FirstStages stages, Bm25Searcher index, bool anyHybrid = false)
    {
        if (given.Count == 0 || (anyHybrid ? stages.Hybrid is not null : stages.Kind == "hybrid")) return;
        var flags = string.Join(" and ", given);
        var set = given.Count == 1 ? "sets" : "set";
        throw new InvalidInputException(index.Manifest.Embeddings is null
            ? $"{flags} {set} how the hybrid first stage fuses, and this index has no document vectors, so there is none: drop {flags}, or rebuild the index with vectors."
            : $"{flags} {set} how the hybrid first stage fuses, and --retrieval {stages.Kind} was asked for: drop {flags}, or use --retrieval hybrid.");
    }

    /// <summary>The hybrid settings from <c>--fusion</c> and <c>--dense-weight</c> alone.</summary>
    /// <exception cref="InvalidInputException">An unknown method, a weight outside [0, 1], or a weight without minmax.</exception>
    private static HybridOptions HybridFrom(ParseResult parse)
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
    /// <param name="hybridOptions">How hybrid fuses (<see cref="HybridFrom(ParseResult, string?, SearchHostOptions)"/>); default weighted min-max.
    /// A reranker's tuned fusion over another embedder's vectors is refused when hybrid is the stage searched; when another stage is
    /// (<c>--retrieval bm25</c> or <c>dense</c>), the hybrid stage kept beside it (eval's hybrid column) fuses with the default instead,
    /// which <see cref="TunedFusionNotApplied"/> then describes.</param>
    /// <exception cref="InvalidInputException">See <see cref="FirstStages.Open"/>.</exception>
    public static FirstStages Open(Bm25Searcher bm25, string? retrieval, string? embedder, SearchHostOptions options, bool defaultToBm25 = false, HybridOptions? hybridOptions = null)
    {
        if (hybridOptions?.TunedWith is { } tuned && bm25.Manifest.Embeddings is { } vectors && !tuned.Matches(vectors)
            && (retrieval?.Trim().ToLowerInvariant() ?? (defaultToBm25 ? "bm25" : "hybrid")) is "bm25" or "dense")
            hybridOptions = new HybridOptions();
        return FirstStages.Open(bm25, retrieval, embedder, QueryEncoderOptions(options), hybridOptions, defaultToBm25);
    }

    /// <summary>
    /// Why the hybrid stage of <paramref name="stages"/> does not fuse with the reranker's tuned fusion that
    /// <paramref name="asked"/> carries (it was tuned over another embedder's vectors, and hybrid is not the stage searched),
    /// or null when it does or none was asked for.
    /// </summary>
    public static string? TunedFusionNotApplied(FirstStages stages, HybridOptions asked) =>
        asked.TunedWith is { } tuned && stages.Hybrid is { Options.TunedWith: null } hybrid
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The reranker's fusion (dense weight {tuned.DenseWeight:0.##}) was tuned over vectors of {tuned.DescribeVectors()}, not this index's; "
                + $"the hybrid stage fuses with min-max, dense weight {hybrid.Options.DenseWeight:0.##} (the default).")
            : null;

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

    /// <summary>
    /// The fusion of <paramref name="stages"/>' hybrid stage as JSON writes it, when hybrid is the stage searched (or, with
    /// <paramref name="whenAnyHybrid"/>, whenever a hybrid stage is kept, as eval's hybrid column); null otherwise.
    /// </summary>
    public static FusionJson? FusionOf(FirstStages stages, bool whenAnyHybrid = false) =>
        stages.Hybrid is not { } hybrid || (stages.Kind != "hybrid" && !whenAnyHybrid) ? null
        : hybrid.Options.Method == FusionMethod.ReciprocalRank ? new FusionJson("rrf", null, hybrid.Options.RrfK, false)
        : new FusionJson("minmax", hybrid.Options.DenseWeight, null, hybrid.Options.TunedWith is not null);

    /// <summary>"hybrid (BM25 top 100 + dense top 100 by all-MiniLM-L6-v2, min-max fusion, dense weight 0.45)".</summary>
    public static string Describe(FirstStages stages) => stages.Describe();

    /// <summary><see cref="Describe(FirstStages)"/> for searches that ask the first stage for <paramref name="depth"/> documents (see <see cref="FirstStages.Describe(int)"/>).</summary>
    public static string Describe(FirstStages stages, int depth) => stages.Describe(depth);
}

/// <summary>
/// The hybrid stage's fusion in JSON answers (<c>search --json</c>, serve's /search, <c>eval --json</c>): "minmax" with its
/// dense weight or "rrf" with its k, and whether the weight is the reranker's tuned one (<c>searchrerank.json</c>), since
/// --json leaves out the "Retrieval:" line that says so in text.
/// </summary>
internal sealed record FusionJson(
    [property: System.Text.Json.Serialization.JsonPropertyName("method")] string Method,
    [property: System.Text.Json.Serialization.JsonPropertyName("dense_weight"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] double? DenseWeight,
    [property: System.Text.Json.Serialization.JsonPropertyName("rrf_k"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? RrfK,
    [property: System.Text.Json.Serialization.JsonPropertyName("tuned_with_reranker")] bool TunedWithReranker);

/// <summary>The query embedder in JSON answers: its engine (onnxruntime, torchsharp) and precision (fp32, int8).</summary>
internal sealed record EmbedderJson(
    [property: System.Text.Json.Serialization.JsonPropertyName("engine")] string Engine,
    [property: System.Text.Json.Serialization.JsonPropertyName("precision")] string Precision);

/// <summary>
/// What of each document the reranker read, in JSON answers (<c>search --json</c>, serve's /search, <c>eval --json</c>):
/// mode first (the start, truncated by the model), max or sum, with the window, stride and selection for max and sum.
/// </summary>
internal sealed record PassagesJson(
    [property: System.Text.Json.Serialization.JsonPropertyName("mode")] string Mode,
    [property: System.Text.Json.Serialization.JsonPropertyName("words"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? Words,
    [property: System.Text.Json.Serialization.JsonPropertyName("stride"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? Stride,
    [property: System.Text.Json.Serialization.JsonPropertyName("select"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? Select)
{
    /// <summary>The JSON form of <paramref name="passages"/>.</summary>
    public static PassagesJson Of(Rerank.Lucene.Reranking.PassageOptions passages) =>
        passages.Mode == Rerank.Lucene.Reranking.PassageMode.First
            ? new PassagesJson("first", null, null, null)
            : new PassagesJson(passages.Mode.ToString().ToLowerInvariant(), passages.Words, passages.Stride, passages.Select);
}
