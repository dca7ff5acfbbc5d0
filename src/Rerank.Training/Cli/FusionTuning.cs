using System.Globalization;
using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Retrieval;
using Rerank.Training.Data;

namespace Rerank.Training.Cli;

/// <summary>
/// nDCG@10 of the hybrid first stage's weighted min-max fusion (<see cref="Fusion.WeightedMinMax"/>) at each dense weight,
/// per judged query: the measurements <see cref="FusionTuning.Decide"/> tunes the weight on. BM25's and dense's top
/// lists are searched once per query; each weight only re-fuses them.
/// </summary>
/// <param name="QueryIds">The judged queries (those with an index-id positive), in their first-seen order.</param>
/// <param name="Weights">The dense weights measured, ascending.</param>
/// <param name="Ndcg10">Per-query nDCG@10: [weight index][query index].</param>
internal sealed record FusionStudy(IReadOnlyList<string> QueryIds, IReadOnlyList<double> Weights, double[][] Ndcg10)
{
    /// <summary>Per-query nDCG@10 at <paramref name="weight"/>, which must be one of <see cref="Weights"/>.</summary>
    /// <exception cref="ArgumentException">The weight was not measured.</exception>
    public double[] At(double weight)
    {
        for (var i = 0; i < Weights.Count; i++)
            if (Weights[i] == weight) return Ndcg10[i];
        throw new ArgumentException($"Dense weight {weight} was not measured.", nameof(weight));
    }
}

/// <summary>
/// What <see cref="FusionTuning.Decide"/> found: the start's dense weight against the weight cross-fitted over the
/// judged queries, and whether the tuned weight is kept.
/// </summary>
/// <param name="Queries">Judged queries.</param>
/// <param name="Folds">Folds of the cross-fitting.</param>
/// <param name="StartWeight">The dense weight the run started with.</param>
/// <param name="TunedWeight">The weight tuned on every judged query: the one stored when <see cref="Kept"/>.</param>
/// <param name="FoldWeights">The weight each fold's queries were ranked with (tuned on the other folds).</param>
/// <param name="Start">Per-query nDCG@10 at the start's weight.</param>
/// <param name="CrossFitted">Per-query nDCG@10, each query at the weight tuned on the other folds.</param>
/// <param name="P">Two-sided paired randomization test of <see cref="CrossFitted"/> against <see cref="Start"/>.</param>
/// <param name="Kept">Whether the tuned weight replaces the start's: higher and p &lt; <see cref="StartComparison.Alpha"/>.</param>
internal sealed record FusionDecision(int Queries, int Folds, double StartWeight, double TunedWeight, IReadOnlyList<double> FoldWeights,
    IReadOnlyList<double> Start, IReadOnlyList<double> CrossFitted, double P, bool Kept)
{
    /// <summary>Mean cross-fitted nDCG@10 minus the start's.</summary>
    public double Delta => CrossFitted.Average() - Start.Average();

    /// <summary>The dense weight the run serves with: <see cref="TunedWeight"/> when kept, else <see cref="StartWeight"/>.</summary>
    public double Chosen => Kept ? TunedWeight : StartWeight;

    /// <summary>One paragraph for the log and the model card: both pipelines with their intervals, the test and the verdict.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        return string.Create(inv,
            $"hybrid first stage, nDCG@10 over {Queries} judged queries of this index: dense weight {StartWeight:0.##} (the start) {DevPipeline.MeanWithInterval(Start)}; " +
            $"weight tuned by {Folds}-fold cross-fitting (each fold ranked at the weight best on the other folds: {string.Join(", ", FoldWeights.Select(w => w.ToString("0.##", inv)))}) {DevPipeline.MeanWithInterval(CrossFitted)}; " +
            $"difference {Delta:+0.0000;-0.0000;0.0000}, paired randomization test p = {P:0.000}. ") +
            (Kept
                ? string.Create(inv, $"Kept: dense weight {TunedWeight:0.##} (tuned on all {Queries} queries) is stored with the model and used by search-host with it.")
                : string.Create(inv, $"Not kept (kept when higher and p < {StartComparison.Alpha}): the start's dense weight {StartWeight:0.##} stays."));
    }
}

/// <summary>
/// Tunes the hybrid first stage's dense weight on one index's judged queries (issue 9: "fusion and interpolation weights are
/// tuned on dev, by k-fold cross-validation over the training queries"). The weight is judged the way <c>rerank-train</c>
/// judges everything it could change (<see cref="StartComparison"/>): by cross-fitting, each fold's queries ranked at the
/// weight best on the other folds, so no query's result depends on a weight tuned on it; the tuned weight replaces the
/// start's only when that beats the start's weight beyond noise. Cross-encoder training does not see the first stage's
/// weight, so every judged query (training and dev) can judge it.
/// </summary>
internal static class FusionTuning
{
    /// <summary>Folds of the cross-fitting (fewer when there are fewer judged queries).</summary>
    public const int Folds = 5;

    /// <summary>The dense weights tried: 0 to 1 in steps of 0.05, as the default 0.45 was chosen.</summary>
    public static IReadOnlyList<double> Grid { get; } = Enumerable.Range(0, 21).Select(i => i / 20.0).ToArray();

    /// <summary>
    /// Searches each judged query once with BM25 and dense (top <paramref name="depth"/> each) and measures nDCG@10 of
    /// their min-max fusion at every weight of <see cref="Grid"/> and at <paramref name="startWeight"/>.
    /// </summary>
    /// <param name="bm25">The index's BM25.</param>
    /// <param name="dense">Its dense stage.</param>
    /// <param name="depth">Documents taken from each (the hybrid stage's <see cref="HybridOptions.Depth"/>).</param>
    /// <param name="judged">Judged queries, one group or several per query (their positives are pooled); positives without an
    /// index id, and queries without any, are skipped.</param>
    /// <param name="startWeight">The start's weight, measured too when off the grid.</param>
    /// <param name="ct">Cancels between queries.</param>
    public static FusionStudy Measure(Bm25Searcher bm25, DenseSearcher dense, int depth, IReadOnlyList<TrainingGroup> judged, double startWeight, CancellationToken ct)
    {
        var judgments = new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);
        var lists = new Dictionary<string, (IReadOnlyList<RankedDocument> Bm25, IReadOnlyList<RankedDocument> Dense)>(StringComparer.Ordinal);
        // Mined training data hold one group per positive: a query's judgments are the positives of all its groups.
        foreach (var query in judged.GroupBy(g => g.QueryId, StringComparer.Ordinal))
        {
            var positives = query.SelectMany(g => g.Positives).Select(p => p.DocId).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            if (positives.Count == 0) continue;
            ct.ThrowIfCancellationRequested();
            judgments[query.Key] = positives.ToDictionary(id => id, _ => 1, StringComparer.Ordinal);
            lists[query.Key] = (bm25.Rank(query.First().Query, depth), dense.Rank(query.First().Query, depth));
        }
        var qrels = new Qrels(judgments);
        var ids = judgments.Keys.ToList();
        var self = ids.ToDictionary(id => id, id => id, StringComparer.Ordinal);
        var weights = Grid.Append(startWeight).Distinct().Order().ToList();
        var ndcg = weights.Select(w =>
        {
            var options = new HybridOptions { DenseWeight = w };
            var result = RunEvaluation.Evaluate(qrels, self, id => HybridSearcher.Fuse(lists[id].Bm25, lists[id].Dense, options)
                .Select(d => new ScoredDocument(d.DocId, d.Score)).ToList(), ct: ct);
            return ids.Select(id => result.PerQuery[id].Ndcg10).ToArray();
        }).ToArray();
        return new FusionStudy(ids, weights, ndcg);
    }

    /// <summary>
    /// Cross-fits the weight over <paramref name="study"/>'s queries (folds of <see cref="CrossValidationFolds.Assign"/>,
    /// seeded) and judges it against <paramref name="startWeight"/>. On every subset the best weight is the one with the
    /// highest mean nDCG@10; ties (within 1e-12) go to the weight nearest the start's, then to the smaller.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 2 queries, or the start's weight was not measured.</exception>
    public static FusionDecision Decide(FusionStudy study, double startWeight, int seed)
    {
        var n = study.QueryIds.Count;
        if (n < 2) throw new ArgumentException("Cross-fitting needs at least 2 judged queries.", nameof(study));
        var start = study.At(startWeight);
        var k = Math.Min(Folds, n);
        var folds = CrossValidationFolds.Assign(study.QueryIds, k, seed);
        var crossFitted = new double[n];
        var foldWeights = new List<double>();
        for (var fold = 0; fold < k; fold++)
        {
            var rest = Enumerable.Range(0, n).Where(i => folds.FoldOf[study.QueryIds[i]] != fold).ToList();
            var weight = Best(study, rest, startWeight);
            foldWeights.Add(weight);
            var at = study.At(weight);
            for (var i = 0; i < n; i++)
                if (folds.FoldOf[study.QueryIds[i]] == fold) crossFitted[i] = at[i];
        }
        var tuned = Best(study, Enumerable.Range(0, n).ToList(), startWeight);
        var p = RandomizationTest.PValue(crossFitted, start);
        var kept = crossFitted.Average() > start.Average() && p < StartComparison.Alpha;
        return new FusionDecision(n, k, startWeight, tuned, foldWeights, start, crossFitted, p, kept);
    }

    /// <summary>The weight with the best mean nDCG@10 over the queries at <paramref name="indices"/>; ties to the nearest to <paramref name="startWeight"/>, then the smaller.</summary>
    private static double Best(FusionStudy study, IReadOnlyList<int> indices, double startWeight)
    {
        var means = study.Weights.Select((w, j) => (Weight: w, Mean: indices.Sum(i => study.Ndcg10[j][i]) / indices.Count)).ToList();
        var top = means.Max(m => m.Mean);
        // Distances rounded: 0.45 - 0.3 and 0.6 - 0.45 differ in the last bit, and equal distances go to the smaller weight.
        return means.Where(m => m.Mean >= top - 1e-12).OrderBy(m => Math.Round(Math.Abs(m.Weight - startWeight), 9)).ThenBy(m => m.Weight).First().Weight;
    }
}
