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
        Description = "Query embedder for dense/hybrid: a sentence-transformers folder. Default: the model recorded in the index "
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
    /// <param name="options">Host settings (device, threads).</param>
    /// <param name="defaultToBm25">Default to bm25 even when the index has vectors (e.g. with --lucene-syntax).</param>
    /// <param name="hybridOptions">How hybrid fuses (<see cref="HybridFrom"/>); default weighted min-max.</param>
    public static FirstStages Open(Bm25Searcher bm25, string? retrieval, string? embedder, SearchHostOptions options, bool defaultToBm25 = false, HybridOptions? hybridOptions = null)
    {
        var kind = retrieval?.Trim().ToLowerInvariant();
        if (kind is not (null or "bm25" or "dense" or "hybrid"))
            throw new InvalidInputException($"Unknown --retrieval '{retrieval}'. Use bm25, dense or hybrid.");
        var info = bm25.Manifest.Embeddings;
        kind ??= info is null || defaultToBm25 ? "bm25" : "hybrid";
        if (kind == "bm25" && embedder is null) return new FirstStages(bm25, null, null, null, kind);
        if (info is null && kind == "bm25")
            throw new InvalidInputException("--embedder applies to --retrieval dense or hybrid, and this index has no document vectors; drop --embedder.");
        if (info is null)
            throw new InvalidInputException(
                $"--retrieval {kind} needs document vectors, and index '{bm25.IndexDirectory}' has none (built with --embedder none, or before embeddings existed). "
                + $"Rebuild it with `search-host index --corpus ... --index {bm25.IndexDirectory} --overwrite`, or use --retrieval bm25.",
                bm25.IndexDirectory);
        var encoderOptions = new BiEncoderOptions { Device = options.Reranker.Device, Threads = options.Reranker.Threads };
        BiEncoder encoder;
        if (embedder is not null) encoder = BiEncoder.Load(embedder, encoderOptions);
        else if (info.Source == BiEncoder.BundledSource) encoder = BiEncoder.LoadBundled(encoderOptions);
        else if (Directory.Exists(info.Source)) encoder = BiEncoder.Load(info.Source, encoderOptions);
        else
            throw new InvalidInputException(
                $"Index '{bm25.IndexDirectory}' was embedded with '{info.Source}', which no longer exists. Pass --embedder DIR with that same model, or rebuild the index.",
                bm25.IndexDirectory);
        try
        {
            var dense = new DenseSearcher(bm25, encoder);
            var hybrid = new HybridSearcher(bm25, dense, hybridOptions);
            ICandidateRetriever chosen = kind switch { "dense" => dense, "hybrid" => hybrid, _ => bm25 };
            return new FirstStages(chosen, encoder, dense, hybrid, kind);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>"hybrid (BM25 top 100 + dense top 100 by all-MiniLM-L6-v2, min-max fusion, dense weight 0.45)".</summary>
    public static string Describe(FirstStages stages) => stages.Kind switch
    {
        "dense" => $"dense ({stages.Dense!.Encoder.ModelName}, exact inner product over {stages.Dense.Info.Count:N0} vectors)",
        "hybrid" => $"hybrid (BM25 top {stages.Hybrid!.Options.Depth} + dense top {stages.Hybrid.Options.Depth} by {stages.Dense!.Encoder.ModelName}, " +
            (stages.Hybrid.Options.Method == FusionMethod.ReciprocalRank
                ? $"RRF k = {stages.Hybrid.Options.RrfK})"
                : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"min-max fusion, dense weight {stages.Hybrid.Options.DenseWeight:0.##})")),
        _ => "bm25",
    };
}

/// <summary>The first stages of one index: the chosen one, and dense/hybrid when the index has vectors. Owns the query encoder.</summary>
internal sealed class FirstStages(ICandidateRetriever chosen, BiEncoder? encoder, DenseSearcher? dense, HybridSearcher? hybrid, string kind) : IDisposable
{
    public ICandidateRetriever Chosen { get; } = chosen;

    public DenseSearcher? Dense { get; } = dense;

    public HybridSearcher? Hybrid { get; } = hybrid;

    /// <summary>bm25, dense or hybrid.</summary>
    public string Kind { get; } = kind;

    public void Dispose() => encoder?.Dispose();
}
