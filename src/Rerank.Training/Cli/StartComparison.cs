using System.Globalization;
using Rerank.Lucene.Evaluation;
using Rerank.Training.Trainer;

namespace Rerank.Training.Cli;

/// <summary>A ranking pipeline measured on the dev queries: its per-query results and how it scores.</summary>
/// <param name="Name">What it is, for messages and the model card.</param>
/// <param name="Result">Per-query dev metrics.</param>
/// <param name="Mode">"replace", "interpolate", or "bm25" (no cross-encoder).</param>
/// <param name="Weight">The cross-encoder's interpolation weight tuned on dev (null without a cross-encoder).</param>
internal sealed record DevPipeline(string Name, EvaluationResult Result, string Mode, double? Weight)
{
    /// <summary>Per-query nDCG@10, in the order of <see cref="EvaluationResult.QueryIds"/>.</summary>
    public IReadOnlyList<double> PerQuery => Result.QueryIds.Select(q => Result.PerQuery[q].Ndcg10).ToList();

    /// <summary>Mean dev nDCG@10.</summary>
    public double Ndcg10 => Result.Mean.Ndcg10;

    /// <summary>"0.7012 (95% CI 0.65-0.75)": the mean with its percentile bootstrap interval.</summary>
    public string WithInterval()
    {
        var (low, high) = BootstrapInterval.OfMean(PerQuery);
        return string.Create(CultureInfo.InvariantCulture, $"{Ndcg10:F4} (95% CI {low:F4}-{high:F4})");
    }
}

/// <summary>
/// The rule that keeps <c>rerank-train</c> from shipping a model worse than where it started: the
/// fine-tuned pipeline replaces the starting one only when its dev nDCG@10 is higher and the paired
/// randomization test (<see cref="RandomizationTest"/>, two-sided) gives p &lt; <see cref="Alpha"/>.
/// The starting pipeline is the base cross-encoder with its own weight tuned on the same dev queries,
/// or BM25 when the base has no trained ranking head.
/// </summary>
internal static class StartComparison
{
    /// <summary>Significance level of the test.</summary>
    public const double Alpha = 0.05;

    /// <summary>The better on dev of a cross-encoder's two pipelines: replace, or interpolated with the weight tuned on dev.</summary>
    public static DevPipeline Best(DevEvaluator dev, IPairScorer scorer, string name, CancellationToken ct)
    {
        var (replace, scores) = dev.Score(scorer, ct);
        var (weight, interpolated, result) = dev.TuneInterpolation(scores);
        return interpolated > replace.Mean.Ndcg10
            ? new DevPipeline(name, result, "interpolate", weight)
            : new DevPipeline(name, replace, "replace", weight);
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
