using System.Globalization;
using Rerank.Lucene.Evaluation;
using Rerank.Training.Data;
using Rerank.Training.Trainer;

namespace Rerank.Training.Cli;

/// <summary>A ranking pipeline measured on the dev queries: its per-query results and how it scores.</summary>
/// <param name="Name">What it is, for messages and the model card.</param>
/// <param name="Result">Per-query dev metrics.</param>
/// <param name="Mode">"replace", "interpolate", or "first-stage" (no cross-encoder: the first stage's own ranking).</param>
/// <param name="Weight">The cross-encoder's interpolation weight tuned on dev (null without a cross-encoder).</param>
internal sealed record DevPipeline(string Name, EvaluationResult Result, string Mode, double? Weight)
{
    /// <summary>Per-query nDCG@10, in the order of <see cref="EvaluationResult.QueryIds"/>.</summary>
    public IReadOnlyList<double> PerQuery => Result.QueryIds.Select(q => Result.PerQuery[q].Ndcg10).ToList();

    /// <summary>Mean dev nDCG@10.</summary>
    public double Ndcg10 => Result.Mean.Ndcg10;

    /// <summary>"0.7012 (95% CI 0.65-0.75)": the mean with its percentile bootstrap interval.</summary>
    public string WithInterval() => MeanWithInterval(PerQuery);

    /// <summary>"0.7012 (95% CI 0.65-0.75)": the mean of <paramref name="values"/> with its percentile bootstrap interval.</summary>
    public static string MeanWithInterval(IReadOnlyList<double> values)
    {
        var (low, high) = BootstrapInterval.OfMean(values);
        return string.Create(CultureInfo.InvariantCulture, $"{values.Average():F4} (95% CI {low:F4}-{high:F4})");
    }
}

/// <summary>
/// The rule that keeps <c>rerank-train</c> from shipping a pipeline worse than where it started: a change
/// (fine-tuned weights, or a weight re-tuned on these dev queries) replaces the starting pipeline only when
/// its dev nDCG@10 is higher and the paired randomization test (<see cref="RandomizationTest"/>, two-sided)
/// gives p &lt; <see cref="Alpha"/>. The starting pipeline is the base cross-encoder exactly as stored (its
/// score mode and its weight for the first stage), or the first stage alone when the base has no trained
/// ranking head.
/// </summary>
internal static class StartComparison
{
    /// <summary>Significance level of the test.</summary>
    public const double Alpha = 0.05;

    /// <summary>The better on dev of a cross-encoder's two pipelines: replace, or interpolated with the weight tuned on dev.</summary>
    public static DevPipeline Best(DevEvaluator dev, IPairScorer scorer, string name, CancellationToken ct) => Measure(dev, scorer, name, null, ct).Tuned;

    /// <summary>The cross-encoder alone over the dev candidates (score mode replace, no weight): what a self-supervised dev set judges.</summary>
    public static DevPipeline Alone(DevEvaluator dev, IPairScorer scorer, string name, CancellationToken ct) =>
        new(name, dev.Score(scorer, ct).Replace, "replace", null);

    /// <summary>
    /// Scores the dev candidates once and returns the cross-encoder's best pipeline with mode and weight tuned
    /// on dev, and, when <paramref name="stored"/> is given, its pipeline as those settings say (the score mode
    /// they recommend, else replace; their weight for the dev first stage).
    /// </summary>
    public static (DevPipeline? AsStored, DevPipeline Tuned) Measure(DevEvaluator dev, IPairScorer scorer, string name, Rerank.Lucene.Reranking.RerankerSettings? stored, CancellationToken ct) =>
        FromScores(dev, dev.Score(scorer, ct).Scores, name, stored);

    /// <summary>As <see cref="Measure"/>, from scores already computed (one array per dev query, aligned with its candidates).</summary>
    public static (DevPipeline? AsStored, DevPipeline Tuned) FromScores(DevEvaluator dev, Dictionary<string, float[]> scores, string name, Rerank.Lucene.Reranking.RerankerSettings? stored)
    {
        var replace = dev.Replaced(scores);
        var (weight, interpolated, result) = dev.TuneInterpolation(scores);
        var tuned = interpolated > replace.Mean.Ndcg10
            ? new DevPipeline(name, result, "interpolate", weight)
            : new DevPipeline(name, replace, "replace", weight);
        if (stored is null) return (null, tuned);
        var storedWeight = stored.WeightFor(dev.FirstStageName);
        var asStored = stored.RecommendedMode == Rerank.Lucene.Reranking.ScoreMode.Interpolate && storedWeight is { } w
            ? new DevPipeline(name, dev.Interpolated(scores, w), "interpolate", w)
            : new DevPipeline(name, replace, "replace", storedWeight);
        return (asStored, tuned);
    }

    /// <summary>
    /// The cross-fitted pipeline of <paramref name="scores"/> over the judged queries: the queries of each fold are
    /// ranked with the score mode and weight that <see cref="FromScores"/> tunes on the other folds' queries, so no
    /// query's result depends on a setting tuned on it (cross-validation of the tuning itself). The returned
    /// <see cref="DevPipeline.Mode"/> and <see cref="DevPipeline.Weight"/> are those tuned on every judged query:
    /// the settings to store with the model.
    /// </summary>
    /// <param name="judged">The judged queries and their candidates.</param>
    /// <param name="scores">Cross-encoder scores of every judged query's candidates (for a fine-tune: out-of-fold scores).</param>
    /// <param name="folds">The fold of each query.</param>
    /// <param name="name">What the pipeline is, for messages and the model card.</param>
    public static DevPipeline CrossFitted(DevEvaluator judged, Dictionary<string, float[]> scores, CrossValidationFolds folds, string name)
    {
        var weightOf = new Dictionary<string, double?>(StringComparer.Ordinal);
        var ids = judged.QueryIds;
        for (var fold = 0; fold < folds.Count; fold++)
        {
            var held = ids.Where(id => folds.FoldOf[id] == fold).ToList();
            if (held.Count == 0) continue;
            var rest = judged.Subset(ids.Where(id => folds.FoldOf[id] != fold));
            // With nothing to tune on (every judged query in this fold), the fold gets the mode tuned on all: the only choice left.
            var tuned = FromScores(rest.QueryCount > 0 ? rest : judged, scores, name, null).Tuned;
            foreach (var id in held) weightOf[id] = tuned.Mode == "interpolate" ? tuned.Weight : null;
        }
        var overall = FromScores(judged, scores, name, null).Tuned;
        return new DevPipeline(name, judged.Combined(scores, id => weightOf[id]), overall.Mode, overall.Weight);
    }

    /// <summary>
    /// The best of the changes judged against the start (null entries skipped): the highest dev nDCG@10, and on a tie
    /// (within 1e-12) the first given, so callers list the smaller changes first.
    /// </summary>
    /// <exception cref="InvalidOperationException">Every change is null.</exception>
    public static DevPipeline BestChange(params DevPipeline?[] changes)
    {
        var given = changes.OfType<DevPipeline>().ToList();
        if (given.Count == 0) throw new InvalidOperationException("No change to choose from.");
        var top = given.Max(c => c.Ndcg10);
        // Equal means within rounding: the same per-query values summed in another order differ in the last bit.
        return given.First(c => c.Ndcg10 >= top - 1e-12);
    }

    /// <summary>Whether the trained pipeline beats the start beyond noise; the difference of means and the p-value.</summary>
    public static (bool KeepTrained, double Delta, double P) Decide(DevPipeline start, DevPipeline trained)
    {
        if (!start.Result.QueryIds.SequenceEqual(trained.Result.QueryIds))
            throw new InvalidOperationException("Both pipelines must be evaluated on the same dev queries.");
        var delta = trained.Ndcg10 - start.Ndcg10;
        var p = RandomizationTest.PValue(trained.PerQuery, start.PerQuery);
        return (delta > 0 && p < Alpha, delta, p);
    }
}
