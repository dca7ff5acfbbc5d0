using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Reranking;

/// <summary>
/// The top <see cref="RerankOptions.Candidates"/> of a first stage (<see cref="ICandidateRetriever"/>:
/// BM25, dense or hybrid), rescored by a cross-encoder, returned best first. Holds neither the
/// retriever nor the encoder: the caller disposes them.
/// </summary>
/// <example>
/// <code>
/// using var bm25 = Bm25Searcher.Open("idx");
/// using var encoder = CrossEncoder.Load("models/reranker");
/// var searcher = new RerankingSearcher(bm25, encoder);
/// foreach (var hit in searcher.Search("do statins lower stroke risk?", k: 10))
///     Console.WriteLine($"{hit.Rank} {hit.DocId} (first-stage rank {hit.FirstStageRank})");
/// </code>
/// </example>
public sealed class RerankingSearcher
{
    private readonly ICandidateRetriever _firstStage;
    private readonly CrossEncoder _encoder;

    /// <summary>Combines a first stage (e.g. a <see cref="Bm25Searcher"/> or a <see cref="HybridSearcher"/>) and a cross-encoder.</summary>
    /// <exception cref="InvalidInputException">Interpolation is asked for without a weight.</exception>
    public RerankingSearcher(ICandidateRetriever firstStage, CrossEncoder encoder, RerankOptions? options = null)
    {
        _firstStage = firstStage ?? throw new ArgumentNullException(nameof(firstStage));
        _encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        Options = options ?? new RerankOptions();
        if (Options.Candidates < 1)
            throw new InvalidInputException($"Candidates must be at least 1; got {Options.Candidates}. Use e.g. --candidates 100.");
        ScoreMode = Options.ResolveMode(encoder);
        Weight = Options.ResolveWeight(encoder, firstStage.Name);
        Passages = Options.ResolvePassages(encoder);
    }

    /// <summary>How documents are split into passages and scored (set in the options, else stored with the model, else whole documents).</summary>
    public PassageOptions Passages { get; }

    /// <summary>The score mode in effect (set in the options, else recommended by the model, else replace).</summary>
    public ScoreMode ScoreMode { get; }

    /// <summary>The cross-encoder weight in effect for <see cref="ScoreMode.Interpolate"/> (1 in replace mode).</summary>
    public double Weight { get; }

    /// <summary>The options in effect.</summary>
    public RerankOptions Options { get; }

    /// <summary>The first stage whose candidates are reranked.</summary>
    public ICandidateRetriever FirstStage => _firstStage;

    /// <summary>Searches, reranks the candidates and returns the best <paramref name="k"/>.</summary>
    /// <param name="query">The query.</param>
    /// <param name="k">Hits to return.</param>
    /// <param name="ct">Cancels between cross-encoder batches.</param>
    /// <exception cref="InvalidInputException">The query is empty.</exception>
    public IReadOnlyList<RerankedHit> Search(string query, int k, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var candidates = _firstStage.Search(query, Options.Candidates);
        return Rerank(query, candidates, ct).Take(k).ToList();
    }

    /// <summary>Reranks given first-stage hits (e.g. from a cached run); returns all of them, best first.</summary>
    /// <param name="query">The query.</param>
    /// <param name="candidates">First-stage hits of the query (BM25, dense or hybrid).</param>
    /// <param name="ct">Cancels between cross-encoder batches.</param>
    public IReadOnlyList<RerankedHit> Rerank(string query, IReadOnlyList<SearchHit> candidates, CancellationToken ct = default)
    {
        if (candidates.Count == 0) return [];
        var ce = PassageScorer.Score(_encoder, query, Documents(candidates), Passages, ct);
        return Rank(candidates, ce);
    }

    /// <summary>
    /// The (query, passage) pairs the cross-encoder scores for <paramref name="candidates"/> under <see cref="Passages"/>, for a
    /// caller that computes the scores elsewhere (e.g. a service that coalesces the pairs of concurrent requests into shared
    /// batches); <see cref="PassagePairs.Aggregate"/> turns their scores into the document scores <see cref="Rank"/> takes.
    /// </summary>
    /// <param name="query">The query.</param>
    /// <param name="candidates">First-stage hits of the query.</param>
    public PassagePairs Pairs(string query, IReadOnlyList<SearchHit> candidates) => PassageScorer.Pairs(query, Documents(candidates), Passages);

    private static List<(string? Title, string? Text)> Documents(IReadOnlyList<SearchHit> candidates) =>
        candidates.Select(h => ((string?)h.Title, (string?)h.Text)).ToList();

    /// <summary>
    /// Ranks first-stage hits by cross-encoder document scores computed elsewhere, combined and tie-broken exactly as
    /// <see cref="Rerank(string, IReadOnlyList{SearchHit}, CancellationToken)"/> does.
    /// </summary>
    /// <param name="candidates">First-stage hits of one query.</param>
    /// <param name="ce">Candidate i's cross-encoder score (<see cref="Pairs"/> scored, then aggregated).</param>
    /// <exception cref="ArgumentException">The counts differ.</exception>
    public IReadOnlyList<RerankedHit> Rank(IReadOnlyList<SearchHit> candidates, IReadOnlyList<double> ce)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(ce);
        if (ce.Count != candidates.Count) throw new ArgumentException($"{ce.Count} scores for {candidates.Count} candidates.", nameof(ce));
        if (candidates.Count == 0) return [];
        var final = ScoreCombiner.Combine(candidates.Select(h => (double)h.Score).ToList(), ce, ScoreMode, Weight);
        return Enumerable.Range(0, candidates.Count)
            .OrderByDescending(i => final[i])
            .ThenBy(i => candidates[i].DocId, RankingOrder.TieBreak)
            .Select((i, rank) => new RerankedHit(rank + 1, candidates[i].DocId, final[i], candidates[i].Rank,
                candidates[i].Score, (float)ce[i], candidates[i].Title, candidates[i].Text))
            .ToList();
    }
}
