using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Rerank.Training.Data;
using Rerank.Training.Trainer;

namespace Rerank.Training.Cli;

/// <summary>
/// Validation while training: reranks each dev query's top-k from a first stage (BM25, or hybrid when the
/// index has document vectors: the candidates the model will serve) with the model as it is now and
/// returns nDCG@10. The candidates and their texts are fetched once, up front. With <c>positiveTexts</c> the
/// cross-encoder reads each dev query's positives as the dev group gives them (the self-supervised dev set's
/// source documents with the query sentence removed) instead of as the index stores them. Documents are read as the
/// starting model's <see cref="PassageOptions"/> say (its stored <c>passages</c>, e.g. the default reranker's one best-matching
/// window per document), so the start, the checkpoints and the fine-tune are judged as search-host would rank with them.
/// </summary>
internal sealed class DevEvaluator
{
    private readonly Qrels _qrels;
    private readonly Dictionary<string, IReadOnlyDictionary<string, int>> _judgments;
    private readonly Dictionary<string, string> _queries;
    private readonly Dictionary<string, IReadOnlyList<SearchHit>> _candidates;
    private readonly Dictionary<string, Dictionary<string, string>> _shownTexts = new(StringComparer.Ordinal);
    private readonly PassageOptions _passages;
    // Each dev query's (query, passage) pairs: split and selected once, scored at every validation.
    private readonly Dictionary<string, PassagePairs> _pairs;

    /// <summary>Prepares the dev queries' candidates from <paramref name="firstStage"/>.</summary>
    /// <param name="firstStage">Ranks the candidates (searched once per dev query).</param>
    /// <param name="dev">Dev queries; positives without an index id are skipped.</param>
    /// <param name="candidates">First-stage candidates reranked per query.</param>
    /// <param name="positiveTexts">
    /// Show the cross-encoder each positive's <see cref="TrainingDocument.Text"/> instead of the indexed text of that
    /// candidate (the first stage still ranks by the index). False (default): every candidate is read as indexed.
    /// </param>
    /// <param name="passages">How the cross-encoder reads each candidate (the starting model's stored passages); null: the whole
    /// document, truncated by the model.</param>
    public DevEvaluator(ICandidateRetriever firstStage, IReadOnlyList<TrainingGroup> dev, int candidates, bool positiveTexts = false, PassageOptions? passages = null)
    {
        ShowsPositiveTexts = positiveTexts;
        _passages = passages ?? PassageOptions.WholeDocument;
        FirstStageName = firstStage.Name;
        Candidates = candidates;
        _judgments = new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);
        _queries = new Dictionary<string, string>(StringComparer.Ordinal);
        _candidates = new Dictionary<string, IReadOnlyList<SearchHit>>(StringComparer.Ordinal);
        foreach (var group in dev)
        {
            var positives = group.Positives.Where(p => p.DocId is not null).Select(p => p.DocId!).Distinct().ToList();
            if (positives.Count == 0) continue; // text-only positives cannot be found among index candidates
            _judgments[group.QueryId] = positives.ToDictionary(id => id, _ => 1, StringComparer.Ordinal);
            _queries[group.QueryId] = group.Query;
            _candidates[group.QueryId] = firstStage.Search(group.Query, candidates);
            if (positiveTexts)
                _shownTexts[group.QueryId] = group.Positives.Where(p => p.DocId is not null)
                    .GroupBy(p => p.DocId!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Text, StringComparer.Ordinal);
        }
        _qrels = new Qrels(_judgments);
        _pairs = _queries.Keys.ToDictionary(id => id, id => PassageScorer.Pairs(_queries[id], _candidates[id].Select(h => Shown(id, h)).ToList(), _passages), StringComparer.Ordinal);
        FirstStage = FirstStageResult();
    }

    /// <summary>The same candidates, texts and judgments, restricted to <paramref name="keep"/> (nothing is searched again).</summary>
    private DevEvaluator(DevEvaluator all, IReadOnlySet<string> keep)
    {
        ShowsPositiveTexts = all.ShowsPositiveTexts;
        _passages = all._passages;
        FirstStageName = all.FirstStageName;
        Candidates = all.Candidates;
        bool Kept(string id) => keep.Contains(id);
        _judgments = all._judgments.Where(kv => Kept(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        _queries = all._queries.Where(kv => Kept(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        _candidates = all._candidates.Where(kv => Kept(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var (id, texts) in all._shownTexts)
            if (Kept(id)) _shownTexts[id] = texts;
        _pairs = all._pairs.Where(kv => Kept(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        _qrels = new Qrels(_judgments);
        FirstStage = FirstStageResult();
    }

    /// <summary>
    /// The dev queries among <paramref name="queryIds"/>, with the candidates already fetched (e.g. one fold of a
    /// cross-validation). Ids that are not dev queries here are ignored.
    /// </summary>
    public DevEvaluator Subset(IEnumerable<string> queryIds) => new(this, queryIds.ToHashSet(StringComparer.Ordinal));

    /// <summary>The ids of the dev queries that can be evaluated, in their first-seen order.</summary>
    public IReadOnlyList<string> QueryIds => _queries.Keys.ToList();

    /// <summary>The first stage's candidate ids of dev query <paramref name="queryId"/>, best first (what the scores of <see cref="Score"/> are aligned with).</summary>
    public IReadOnlyList<string> CandidateIds(string queryId) => _candidates[queryId].Select(h => h.DocId).ToList();

    /// <summary>"bm25", "dense" or "hybrid": what ranked the candidates.</summary>
    public string FirstStageName { get; }

    /// <summary>Whether positives are shown with their dev-group texts (the masked sources of a self-supervised dev set).</summary>
    public bool ShowsPositiveTexts { get; }

    /// <summary>Candidates reranked per dev query.</summary>
    public int Candidates { get; }

    /// <summary>Dev queries that can be evaluated (those with index-id positives).</summary>
    public int QueryCount => _queries.Count;

    /// <summary>The first stage's own metrics on the dev queries (its top-k, unreranked), for comparison; null without dev queries.</summary>
    public EvaluationResult? FirstStage { get; }

    /// <summary>nDCG@10 of the reranked candidates (score mode replace).</summary>
    public double Ndcg10(IPairScorer scorer, CancellationToken ct = default) => Score(scorer, ct).Replace.Mean.Ndcg10;

    /// <summary>How the cross-encoder reads each candidate (<see cref="PassageScorer"/>).</summary>
    public PassageOptions Passages => _passages;

    /// <summary>
    /// Scores every candidate once (each of its passages under <see cref="Passages"/>, in one call so batches span queries);
    /// returns replace-mode metrics and the document scores for tuning.
    /// </summary>
    public (EvaluationResult Replace, Dictionary<string, float[]> Scores) Score(IPairScorer scorer, CancellationToken ct = default)
    {
        var ids = _queries.Keys.ToList();
        var perQuery = ids.Select(id => _pairs[id]).ToList();
        var flat = scorer.Score(perQuery.SelectMany(p => p.Items).ToList(), ct);
        var scores = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var offset = 0;
        for (var q = 0; q < ids.Count; q++)
        {
            var n = perQuery[q].Items.Count;
            scores[ids[q]] = perQuery[q].Aggregate(flat.AsSpan(offset, n).ToArray()).Select(s => (float)s).ToArray();
            offset += n;
        }
        return (Replaced(scores), scores);
    }

    /// <summary>The dev metrics of the candidates ranked by <paramref name="scores"/> alone (score mode replace).</summary>
    public EvaluationResult Replaced(Dictionary<string, float[]> scores) => Combined(scores, _ => null);

    /// <summary>
    /// The dev metrics when each query is ranked with its own setting: <paramref name="weightOf"/> gives the
    /// interpolation weight of a query, or null for score mode replace (cross-fitted settings, one per fold).
    /// </summary>
    public EvaluationResult Combined(Dictionary<string, float[]> scores, Func<string, double?> weightOf) => Evaluate(id =>
    {
        var hits = _candidates[id];
        if (weightOf(id) is not { } weight) return hits.Select((h, i) => new ScoredDocument(h.DocId, scores[id][i])).ToList();
        var final = ScoreCombiner.Combine(hits.Select(h => (double)h.Score).ToList(), scores[id].Select(s => (double)s).ToList(), ScoreMode.Interpolate, weight);
        return hits.Select((h, i) => new ScoredDocument(h.DocId, final[i])).ToList();
    });

    /// <summary>
    /// The interpolation weight (0 to 1 in steps of 0.05) with the best dev nDCG@10; ties go to the
    /// larger weight. Returns the weight, its nDCG@10 and the evaluation at that weight.
    /// </summary>
    public (double Weight, double Ndcg10, EvaluationResult Result) TuneInterpolation(Dictionary<string, float[]> scores)
    {
        var best = (Weight: 1.0, Ndcg10: double.MinValue, Result: (EvaluationResult)null!);
        for (var step = 20; step >= 0; step--)
        {
            var w = step / 20.0;
            var result = Interpolated(scores, w);
            if (result.Mean.Ndcg10 > best.Ndcg10 + 1e-12) best = (w, result.Mean.Ndcg10, result);
        }
        return best;
    }

    /// <summary>The dev metrics of the candidates ranked by <see cref="ScoreCombiner"/>'s interpolation at <paramref name="weight"/>.</summary>
    public EvaluationResult Interpolated(Dictionary<string, float[]> scores, double weight) => Combined(scores, _ => weight);

    /// <summary>The first stage's own metrics over its candidates (null without dev queries).</summary>
    private EvaluationResult? FirstStageResult() =>
        _queries.Count == 0 ? null : Evaluate(id => _candidates[id].Select(h => new ScoredDocument(h.DocId, h.Score)).ToList());

    /// <summary>The title and text the cross-encoder reads for candidate <paramref name="hit"/> of query <paramref name="queryId"/>.</summary>
    private (string? Title, string? Text) Shown(string queryId, SearchHit hit) =>
        _shownTexts.TryGetValue(queryId, out var texts) && texts.TryGetValue(hit.DocId, out var text) ? (null, text) : (hit.Title, hit.Text);

    private EvaluationResult Evaluate(Func<string, IReadOnlyList<ScoredDocument>> rank) =>
        RunEvaluation.Evaluate(_qrels, _queries.Keys.ToDictionary(id => id, id => id, StringComparer.Ordinal), rank);
}
