using Rerank.Lucene.Embedding;

namespace Rerank.Lucene.Retrieval;

/// <summary>
/// The first stages one index supports, and the one chosen: BM25 always; dense and hybrid when the index
/// holds document vectors (<see cref="Indexing.IndexManifest"/> <c>embeddings</c>), with the query encoder that
/// embedded them. <c>search-host</c> (search, eval, demo) and <c>rerank-train</c> (mining and validation)
/// open their first stage here, so a reranker is trained and validated on the candidates it will serve.
/// Owns the query encoder (and any loaded for the index after it was rebuilt at another precision or with another model);
/// the BM25 searcher stays the caller's.
/// </summary>
public sealed class FirstStages : IDisposable
{
    private readonly List<BiEncoder> _encoders;

    private FirstStages(ICandidateRetriever chosen, List<BiEncoder> encoders, DenseSearcher? dense, HybridSearcher? hybrid, string kind)
    {
        Chosen = chosen;
        _encoders = encoders;
        Dense = dense;
        Hybrid = hybrid;
        Kind = kind;
    }

    /// <summary>The first stage asked for (or the index's default).</summary>
    public ICandidateRetriever Chosen { get; }

    /// <summary>Dense retrieval over the index's vectors; null when the index has none or only BM25 was opened.</summary>
    public DenseSearcher? Dense { get; }

    /// <summary>BM25 fused with dense; null when the index has no vectors or only BM25 was opened.</summary>
    public HybridSearcher? Hybrid { get; }

    /// <summary>"bm25", "dense" or "hybrid": the name of <see cref="Chosen"/>.</summary>
    public string Kind { get; }

    /// <summary>
    /// Opens the first stage named <paramref name="kind"/> over <paramref name="bm25"/>'s index.
    /// </summary>
    /// <param name="bm25">The open index (not owned).</param>
    /// <param name="kind">bm25, dense or hybrid (any case); null for the default: hybrid when the index has document vectors, else bm25.</param>
    /// <param name="embedder">A sentence-transformers folder to embed queries with, or "bundled" (the bundled all-MiniLM-L6-v2, as
    /// <c>index --embedder bundled</c>); null for the model the index records. "none" is refused (it means no vectors, at index time).</param>
    /// <param name="encoderOptions">Device, threads, engine and precision of the query encoder; an auto precision becomes
    /// the one the index records (<see cref="EmbeddingInfo.ForQueries"/>).</param>
    /// <param name="hybridOptions">How hybrid fuses; null for the default (weighted min-max, <see cref="HybridOptions.DefaultDenseWeight"/>).</param>
    /// <param name="defaultToBm25">Make bm25 the default even when the index has vectors.</param>
    /// <exception cref="InvalidInputException">An unknown kind; dense or hybrid on an index without vectors; an embedder
    /// without vectors to search; the index's recorded embedder folder is gone; hybrid with a model's tuned fusion
    /// (<see cref="HybridOptions.TunedWith"/>) over another embedder's vectors.</exception>
    public static FirstStages Open(Bm25Searcher bm25, string? kind = null, string? embedder = null, BiEncoderOptions? encoderOptions = null,
        HybridOptions? hybridOptions = null, bool defaultToBm25 = false)
    {
        ArgumentNullException.ThrowIfNull(bm25);
        embedder = embedder?.Trim();
        if (string.Equals(embedder, "none", StringComparison.OrdinalIgnoreCase))
            throw new InvalidInputException(
                "--embedder none builds an index without vectors (search-host index); searching has no such setting: to search with BM25 alone use --retrieval bm25, "
                + "or omit --embedder to embed queries with the model the index records.");
        var name = kind?.Trim().ToLowerInvariant();
        if (name is not (null or "bm25" or "dense" or "hybrid"))
            throw new InvalidInputException($"Unknown --retrieval '{kind}'. Use bm25, dense or hybrid.");
        var info = bm25.Manifest.Embeddings;
        name ??= info is null || defaultToBm25 ? "bm25" : "hybrid";
        if (name == "bm25" && embedder is null) return new FirstStages(bm25, [], null, null, name);
        if (info is null && name == "bm25")
            throw new InvalidInputException("--embedder applies to --retrieval dense or hybrid, and this index has no document vectors; drop --embedder.");
        if (info is null)
            throw new InvalidInputException(
                $"--retrieval {name} needs document vectors, and index '{bm25.IndexDirectory}' has none (built with --embedder none, or before embeddings existed). "
                + $"Rebuild it with `search-host index --corpus ... --index {bm25.IndexDirectory} --overwrite`, or use --retrieval bm25.",
                bm25.IndexDirectory);
        if (name == "hybrid" && hybridOptions?.TunedWith is { } tuned && !tuned.Matches(info))
            throw new InvalidInputException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"The reranker's fusion (dense weight {tuned.DenseWeight:0.##}) was tuned over vectors of {tuned.DescribeVectors()}; ")
                + $"index '{bm25.IndexDirectory}' holds vectors of {Reranking.FusionSettings.DescribeVectors(info)}, whose scores are on another scale. "
                + "Choose the fusion yourself (--fusion rrf, or --dense-weight W), or retune it on this index with rerank-train.",
                Path.Combine(bm25.IndexDirectory, Indexing.IndexManifest.FileName));
        var requested = encoderOptions ?? new BiEncoderOptions();
        RequireRunnable(info, requested, bm25.IndexDirectory);
        var encoders = new List<BiEncoder>();
        // Queries are embedded at the precision of the document vectors unless one is asked for (then it must match). An index
        // rebuilt in place later is queried with an encoder loaded by the same rule for what it then records.
        BiEncoder For(EmbeddingInfo vectors)
        {
            var options = vectors.ForQueries(requested);
            BiEncoder encoder;
            if (string.Equals(embedder, "bundled", StringComparison.OrdinalIgnoreCase)) encoder = BiEncoder.LoadBundled(options);
            else if (embedder is not null) encoder = BiEncoder.Load(embedder, options);
            else if (vectors.Source == BiEncoder.BundledSource) encoder = BiEncoder.LoadBundled(options);
            else if (Directory.Exists(vectors.Source)) encoder = BiEncoder.Load(vectors.Source, options);
            else
                throw new InvalidInputException(
                    $"Index '{bm25.IndexDirectory}' was embedded with '{vectors.Source}', which no longer exists. Pass --embedder DIR with that same model, or rebuild the index.",
                    bm25.IndexDirectory);
            lock (encoders) encoders.Add(encoder);
            return encoder;
        }
        var first = For(info);
        try
        {
            var dense = new DenseSearcher(bm25, first, For);
            var hybrid = new HybridSearcher(bm25, dense, hybridOptions);
            ICandidateRetriever chosen = name switch { "dense" => dense, "hybrid" => hybrid, _ => bm25 };
            return new FirstStages(chosen, encoders, dense, hybrid, name);
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses, before any model loads, embedder settings that cannot embed for <paramref name="info"/>'s vectors,
    /// naming what does: int8 vectors are embedded by ONNX Runtime on the CPU only (at query time --precision is the reranker's,
    /// and an update embeds at the index's precision, so the way out is the engine or device, or an fp32 rebuild).
    /// </summary>
    /// <param name="info">The index's recorded vectors.</param>
    /// <param name="requested">The embedder settings asked for.</param>
    /// <param name="indexDir">The index, for the message.</param>
    /// <param name="what">What would be embedded, for the message: "queries" or "documents".</param>
    internal static void RequireRunnable(EmbeddingInfo info, BiEncoderOptions requested, string indexDir, string what = "queries")
    {
        if (info.RecordedPrecision != Reranking.Precision.Int8 || requested.Precision is not (Reranking.Precision.Auto or Reranking.Precision.Int8)) return;
        var cuda = requested.Device is { } device && device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase);
        var rebuild = $"or rebuild the index at fp32 (`search-host index --corpus ... --index {indexDir} --overwrite --precision fp32`).";
        if (requested.Engine == Reranking.InferenceEngine.TorchSharp)
            throw new InvalidInputException(
                $"Index '{indexDir}' holds int8 vectors, which only ONNX Runtime embeds {what} for: drop --engine torchsharp, {rebuild}",
                Path.Combine(indexDir, Indexing.IndexManifest.FileName));
        if (cuda)
            throw new InvalidInputException(
                $"Index '{indexDir}' holds int8 vectors, which only ONNX Runtime on the CPU embeds {what} for: drop --device {requested.Device}, {rebuild}",
                Path.Combine(indexDir, Indexing.IndexManifest.FileName));
    }

    /// <summary>
    /// "hybrid (BM25 top 100 + dense top 100 by all-MiniLM-L6-v2 (...) on onnxruntime fp32, min-max fusion, dense weight 0.45)", "dense (...)" or "bm25":
    /// what ranked the candidates, for logs and model cards.
    /// </summary>
    public string Describe() => Describe(0);

    /// <summary>
    /// <see cref="Describe()"/> for a search that asks the first stage for its top <paramref name="depth"/>: when hybrid is asked for more
    /// than its fused lists (<see cref="HybridOptions.Depth"/>), the deeper hits appended below them are named too:
    /// "hybrid (BM25 top 100 + dense top 100 by ..., min-max fusion, dense weight 0.45; hits beyond the fused lists: the rest of BM25's and
    /// dense's top 300, fused the same way and appended below them)". Whether a query gets such hits depends on how many documents its fused lists hold.
    /// </summary>
    /// <param name="depth">Documents asked of the first stage per query (hits shown, or the rerank window when larger); 0 for none in particular.</param>
    public string Describe(int depth) => Kind == "hybrid" && depth > Hybrid!.Options.Depth
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{DescribeStage()[..^1]}; hits beyond the fused lists: the rest of BM25's and dense's top {depth}, fused the same way and appended below them)")
        : DescribeStage();

    private string DescribeStage() => Kind switch
    {
        "dense" => Dense!.Info.Passages is { } passages
            ? $"dense ({Embedder(Dense.Encoder)}, exact inner product over {Dense.Info.Count:N0} passage vectors of {passages.Documents:N0} documents, {passages.Words}-word passages, stride {passages.Stride}, max per document)"
            : $"dense ({Embedder(Dense.Encoder)}, exact inner product over {Dense.Info.Count:N0} vectors)",
        "hybrid" => $"hybrid (BM25 top {Hybrid!.Options.Depth} + dense top {Hybrid.Options.Depth} by {Embedder(Dense!.Encoder)}, " +
            (Hybrid.Options.Method == FusionMethod.ReciprocalRank
                ? $"RRF k = {Hybrid.Options.RrfK})"
                : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"min-max fusion, dense weight {Hybrid.Options.DenseWeight:0.##}{(Hybrid.Options.TunedWith is null ? "" : " tuned with the reranker")})")),
        _ => "bm25",
    };

    // "all-MiniLM-L6-v2 (...) on onnxruntime fp32": the query embedder and what runs it.
    private static string Embedder(BiEncoder encoder) =>
        $"{encoder.ModelName} on {Reranking.InferenceEngineSelection.Name(encoder.Engine)} {Reranking.InferenceEngineSelection.Name(encoder.Precision)}";

    /// <summary>Disposes the query encoder, and those loaded for the index after it was rebuilt (<see cref="DenseSearcher.EncoderReloaded"/>).</summary>
    public void Dispose()
    {
        lock (_encoders)
        {
            foreach (var encoder in _encoders) encoder.Dispose();
            _encoders.Clear();
        }
    }
}
