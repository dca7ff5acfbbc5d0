namespace Rerank.Lucene.Reranking;

/// <summary>
/// The one place where first-stage (BM25, dense or fused) and cross-encoder scores are combined into
/// final scores (see <see cref="ScoreMode"/>). Interpolation min-max normalises both per query, so it
/// works with any first-stage scale; a weight stored with a model was tuned on BM25 candidates.
/// </summary>
public static class ScoreCombiner
{
    /// <summary>Final scores for one query's candidates, index-aligned with the inputs.</summary>
    /// <example>
    /// Interpolate, w = 0.25, BM25 [10, 6, 8] and cross-encoder [0.2, 0.9, 0.5]:
    /// minmax(BM25) = [1, 0, 0.5], minmax(CE) = [0, 1, 3/7];
    /// final = 0.25 * CE + 0.75 * BM25 = [0.75, 0.25, 0.4821...].
    /// </example>
    public static double[] Combine(IReadOnlyList<double> firstStage, IReadOnlyList<double> crossEncoder, ScoreMode mode, double weight)
    {
        if (firstStage.Count != crossEncoder.Count) throw new ArgumentException("Score lists differ in length.");
        if (mode == ScoreMode.Replace) return crossEncoder.ToArray();
        if (weight is < 0 or > 1 || double.IsNaN(weight))
            throw new InvalidInputException($"Interpolation weight must be between 0 and 1; got {weight}.");
        var b = MinMax(firstStage);
        var c = MinMax(crossEncoder);
        var result = new double[firstStage.Count];
        for (var i = 0; i < result.Length; i++) result[i] = weight * c[i] + (1 - weight) * b[i];
        return result;
    }

    /// <summary>Maps the lowest score to 0 and the highest to 1; all-equal scores map to 0.</summary>
    public static double[] MinMax(IReadOnlyList<double> scores)
    {
        if (scores.Count == 0) return [];
        var min = scores.Min();
        var range = scores.Max() - min;
        return scores.Select(s => range > 0 ? (s - min) / range : 0).ToArray();
    }
}
