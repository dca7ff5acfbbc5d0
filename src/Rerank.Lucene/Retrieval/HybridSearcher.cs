namespace Rerank.Lucene.Retrieval;

/// <summary>How a <see cref="HybridSearcher"/> fuses BM25 and dense rankings.</summary>
public enum FusionMethod
{
    /// <summary>Reciprocal rank fusion (<see cref="Fusion.ReciprocalRank"/>), parameter-free with k = 60.</summary>
    ReciprocalRank,

    /// <summary>Weighted min-max fusion (<see cref="Fusion.WeightedMinMax"/>) with <see cref="HybridOptions.DenseWeight"/>. The default.</summary>
    WeightedMinMax,
}

/// <summary>Settings of a <see cref="HybridSearcher"/>.</summary>
public sealed record HybridOptions
{
    /// <summary>
    /// Documents taken from each of BM25 and dense before fusing: the fusion window. A search for more (k above the union, e.g. a
    /// rescore window of 300) gets the documents of deeper lists appended below the window's, which keep their order and scores.
    /// Default 100 (the setup of the measured gains and of the tuned weights: SciFact nDCG@10 0.714 vs BM25 0.679).
    /// </summary>
    public int Depth { get; init; } = 100;

    /// <summary>
    /// Default <see cref="FusionMethod.WeightedMinMax"/> with <see cref="DefaultDenseWeight"/>: on six dev sets (SciFact dev,
    /// 81 held-out train queries, and the train splits of cranfield, cisi, med, cacm and lisa) it gained +0.070 nDCG@10
    /// over BM25 on average, reciprocal rank fusion +0.062 (docs/BENCHMARKS.md).
    /// </summary>
    public FusionMethod Method { get; init; } = FusionMethod.WeightedMinMax;

    /// <summary>The RRF constant; default 60.</summary>
    public int RrfK { get; init; } = Fusion.DefaultRrfK;

    /// <summary>The dense weight tuned on the six dev sets named at <see cref="Method"/> (grid 0, 0.05, ..., 1).</summary>
    public const double DefaultDenseWeight = 0.45;

    /// <summary>Dense weight w for <see cref="FusionMethod.WeightedMinMax"/> (BM25 gets 1 - w); default <see cref="DefaultDenseWeight"/>.</summary>
    public double DenseWeight { get; init; } = DefaultDenseWeight;

    /// <summary>
    /// Set when these options come from a model's tuned fusion (<see cref="Reranking.FusionSettings"/>): the weight holds only
    /// over vectors of that embedder, which <see cref="FirstStages.Open"/> checks. Null for the default or a weight given by the caller.
    /// </summary>
    public Reranking.FusionSettings? TunedWith { get; init; }
}

/// <summary>
/// Hybrid first stage: BM25 top <see cref="HybridOptions.Depth"/> and dense top <see cref="HybridOptions.Depth"/>, fused
/// (weighted min-max by default, or RRF with k = 60), best first. A search for k documents beyond that union appends, below it,
/// the other documents of BM25's and dense's top k in the order of their own fusion, scored below the window's lowest
/// (window score - 1 - distance from the best appended): so the first hits, their order and their scores never depend on k.
/// Holds neither searcher: the caller disposes them. Thread-safe.
/// </summary>
/// <example>
/// <code>
/// using var bm25 = Bm25Searcher.Open("idx");
/// using var encoder = BiEncoder.LoadBundled();
/// var hybrid = new HybridSearcher(bm25, new DenseSearcher(bm25, encoder));
/// var hits = hybrid.Search("do statins reduce stroke risk?", 10);
/// </code>
/// </example>
public sealed class HybridSearcher : ICandidateRetriever
{
    private readonly Bm25Searcher _bm25;
    private readonly DenseSearcher _dense;

    /// <summary>Fuses <paramref name="bm25"/> and <paramref name="dense"/> (which must search the same index).</summary>
    /// <exception cref="InvalidInputException">An option is out of range.</exception>
    public HybridSearcher(Bm25Searcher bm25, DenseSearcher dense, HybridOptions? options = null)
    {
        _bm25 = bm25 ?? throw new ArgumentNullException(nameof(bm25));
        _dense = dense ?? throw new ArgumentNullException(nameof(dense));
        Options = options ?? new HybridOptions();
        if (Options.Depth < 1) throw new InvalidInputException($"Hybrid depth must be at least 1; got {Options.Depth}.");
        if (Options.RrfK < 1) throw new InvalidInputException($"The RRF constant k must be at least 1; got {Options.RrfK}. Use 60.");
        if (Options.DenseWeight is < 0 or > 1 || double.IsNaN(Options.DenseWeight))
            throw new InvalidInputException($"The dense weight must be between 0 and 1; got {Options.DenseWeight}.");
    }

    /// <inheritdoc/>
    public string Name => "hybrid";

    /// <summary>The options in effect.</summary>
    public HybridOptions Options { get; }

    /// <inheritdoc/>
    public IReadOnlyList<RankedDocument> Rank(string query, int k) => Rank(query, k, null);

    /// <inheritdoc/>
    public IReadOnlyList<SearchHit> Search(string query, int k) => Search(query, k, null);

    /// <summary>
    /// Like <see cref="Rank(string, int)"/>, with <paramref name="filter"/> applied to both stages before each takes its top
    /// <see cref="HybridOptions.Depth"/> (and, for a deeper k, its top k): the fusion sees the best matching documents of each, never a cut
    /// list filtered afterwards.
    /// </summary>
    /// <exception cref="InvalidInputException">The query is empty, or the filter is not valid for this index.</exception>
    /// <exception cref="EmbedderReloadException">The options carry a reranker's tuned fusion and the index was rebuilt with another embedder's vectors.</exception>
    public IReadOnlyList<RankedDocument> Rank(string query, int k, DocumentFilter? filter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        RequireTunedEmbedder();
        var window = Fuse(_bm25.Rank(query, Options.Depth, filter: filter), _dense.Rank(query, Options.Depth, filter), Options);
        if (k <= window.Count || k <= Options.Depth) return window.Take(k).ToList();
        // Deeper than the window: the rest of BM25's and dense's top k, in their own fusion's order, below the window.
        var deeper = Fuse(_bm25.Rank(query, k, filter: filter), _dense.Rank(query, k, filter), Options);
        var inWindow = window.Select(d => d.DocId).ToHashSet(StringComparer.Ordinal);
        var rest = deeper.Where(d => !inWindow.Contains(d.DocId)).Take(k - window.Count).ToList();
        if (rest.Count == 0) return window;
        var floor = window.Count == 0 ? 0f : window[^1].Score;
        var best = rest[0].Score;
        return [.. window, .. rest.Select((d, i) => new RankedDocument(window.Count + i + 1, d.DocId, floor - 1f - (best - d.Score)))];
    }

    /// <summary>
    /// Fuses a BM25 and a dense ranking of one query as a hybrid searcher with <paramref name="options"/> does: RRF
    /// (<see cref="HybridOptions.RrfK"/>) or weighted min-max (<see cref="HybridOptions.DenseWeight"/>). Returns their union, best first.
    /// </summary>
    public static IReadOnlyList<RankedDocument> Fuse(IReadOnlyList<RankedDocument> bm25, IReadOnlyList<RankedDocument> dense, HybridOptions options) =>
        options.Method == FusionMethod.ReciprocalRank
            ? Fusion.ReciprocalRank([bm25, dense], options.RrfK)
            : Fusion.WeightedMinMax([(bm25, 1 - options.DenseWeight), (dense, options.DenseWeight)]);

    /// <summary>
    /// Refuses to fuse with a reranker's tuned weight (<see cref="HybridOptions.TunedWith"/>) once the index holds another
    /// embedder's vectors: <see cref="FirstStages.Open"/> checks it at open, and this catches an index rebuilt in place since.
    /// </summary>
    /// <exception cref="EmbedderReloadException">The vectors are now another embedder's; only a restart (with a fusion chosen) helps.</exception>
    public void RequireTunedEmbedder()
    {
        if (Options.TunedWith is not { } tuned) return;
        var vectors = _dense.Info;
        if (tuned.Matches(vectors)) return;
        throw new EmbedderReloadException(
            $"Index '{_bm25.IndexDirectory}' was rebuilt with vectors of {Reranking.FusionSettings.DescribeVectors(vectors)}, and the reranker's fusion was tuned over vectors of "
            + $"{tuned.DescribeVectors()}. Restart search-host, choosing the fusion yourself (--fusion rrf, or --dense-weight W), or retune it on this index with rerank-train.",
            Path.Combine(_bm25.IndexDirectory, Indexing.IndexManifest.FileName));
    }

    /// <summary>Like <see cref="Search(string, int)"/>, among the documents that meet <paramref name="filter"/>; see <see cref="Rank(string, int, DocumentFilter)"/>.</summary>
    /// <exception cref="InvalidInputException">The query is empty, or the filter is not valid for this index.</exception>
    public IReadOnlyList<SearchHit> Search(string query, int k, DocumentFilter? filter)
    {
        var ranked = Rank(query, k, filter);
        var docs = _bm25.GetDocuments(ranked.Select(r => r.DocId));
        return ranked.Select(r => new SearchHit(r.Rank, r.DocId, r.Score, docs[r.DocId].Title, docs[r.DocId].Text)).ToList();
    }
}
