namespace Rerank.Lucene.Retrieval;

/// <summary>
/// Merges rankings of the same collection into one. Both methods rank the fused score (as the
/// reported float32 value) descending, and equal scores by document id descending, the one tie
/// rule of <see cref="RankingOrder"/>; the result holds every document of any input ranking once.
/// </summary>
public static class Fusion
{
    /// <summary>The RRF constant of Cormack, Clarke and Büttcher (SIGIR 2009), who found k = 60 near-optimal across collections; Anserini and Pyserini default to it.</summary>
    public const int DefaultRrfK = 60;

    /// <summary>
    /// Reciprocal rank fusion (Cormack, Clarke and Büttcher, "Reciprocal Rank Fusion outperforms
    /// Condorcet and individual rank learning methods", SIGIR 2009):
    /// score(d) = Σ over rankings r containing d of 1 / (k + rank_r(d)), with 1-based ranks taken
    /// from each input's order (its <see cref="RankedDocument.Rank"/> values are not trusted).
    /// Scores are ignored, so no normalisation is needed.
    /// </summary>
    /// <param name="rankings">Rankings best first; each document at most once per ranking.</param>
    /// <param name="k">The constant k (&gt; 0); default 60.</param>
    /// <returns>All documents, ranked 1..n.</returns>
    /// <example>BM25 [a, b, c] and dense [c, a]: a = 1/61 + 1/62 = 0.032522, c = 1/63 + 1/61 = 0.032266, b = 1/62 = 0.016129; fused [a, c, b].</example>
    /// <exception cref="ArgumentException">A ranking lists a document twice, or k is not positive.</exception>
    public static IReadOnlyList<RankedDocument> ReciprocalRank(IReadOnlyList<IReadOnlyList<RankedDocument>> rankings, int k = DefaultRrfK)
    {
        ArgumentNullException.ThrowIfNull(rankings);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var ranking in rankings)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < ranking.Count; i++)
            {
                var id = ranking[i].DocId;
                if (!seen.Add(id)) throw new ArgumentException($"Document '{id}' appears twice in one ranking.", nameof(rankings));
                scores[id] = scores.GetValueOrDefault(id) + 1.0 / (k + i + 1);
            }
        }
        return Ranked(scores);
    }

    /// <summary>
    /// Weighted min-max fusion (the "convex combination" of Bruch, Gai and Ingber, "An Analysis of
    /// Fusion Functions for Hybrid Retrieval", TOIS 2023): each ranking's scores are mapped to [0, 1]
    /// by (s - min) / (max - min) over that ranking (all equal: 1, each is at its top), then
    /// score(d) = Σ_r w_r · norm_r(d), a ranking that lacks d contributing 0.
    /// </summary>
    /// <param name="rankings">Rankings with their weights (finite, &gt;= 0); each document at most once per ranking.</param>
    /// <returns>All documents, ranked 1..n.</returns>
    /// <example>BM25 [a 10, b 6, c 8] (w 0.5) and dense [c 0.9, a 0.5] (w 0.5): norm BM25 a 1, b 0, c 0.5; norm dense c 1, a 0;
    /// a = 0.5, c = 0.75, b = 0; fused [c, a, b].</example>
    /// <exception cref="ArgumentException">A weight is negative or not finite, or a ranking lists a document twice.</exception>
    public static IReadOnlyList<RankedDocument> WeightedMinMax(IReadOnlyList<(IReadOnlyList<RankedDocument> Ranking, double Weight)> rankings)
    {
        ArgumentNullException.ThrowIfNull(rankings);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (ranking, weight) in rankings)
        {
            if (!double.IsFinite(weight) || weight < 0) throw new ArgumentException($"Fusion weights must be finite and >= 0; got {weight}.", nameof(rankings));
            // A ranking whose scores are all equal (e.g. a single BM25 match) has every document at its top: 1, not 0,
            // which would count them as missing from it.
            var scores01 = ranking.Select(h => (double)h.Score).ToList();
            var normalized = scores01.Count > 0 && scores01.Max() == scores01.Min()
                ? scores01.Select(_ => 1.0).ToArray()
                : Reranking.ScoreCombiner.MinMax(scores01);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < ranking.Count; i++)
            {
                var id = ranking[i].DocId;
                if (!seen.Add(id)) throw new ArgumentException($"Document '{id}' appears twice in one ranking.", nameof(rankings));
                scores[id] = scores.GetValueOrDefault(id) + weight * normalized[i];
            }
        }
        return Ranked(scores);
    }

    private static List<RankedDocument> Ranked(Dictionary<string, double> scores) =>
        scores.Select(p => (Id: p.Key, Score: (float)p.Value))
            .OrderByDescending(p => p.Score)
            .ThenBy(p => p.Id, RankingOrder.TieBreak)
            .Select((p, i) => new RankedDocument(i + 1, p.Id, p.Score))
            .ToList();
}
