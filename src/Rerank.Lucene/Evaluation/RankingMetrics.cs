namespace Rerank.Lucene.Evaluation;

/// <summary>
/// Ranking metrics for one query, matching the current trec_eval source (usnistgov/trec_eval) with its default
/// relevance level: a document is relevant when its judged relevance is above 0; unjudged
/// documents count as not relevant. Each method takes the ranked document ids, best first
/// (no duplicates), and the query's judgments (document id → graded relevance).
/// A query without any relevant judged document scores 0 on every metric (trec_eval prints
/// 0 for it too, and <see cref="Evaluator"/> keeps it in the mean, as trec_eval does).
/// </summary>
public static class RankingMetrics
{
    /// <summary>
    /// nDCG@k exactly as trec_eval's <c>ndcg_cut.k</c>: the gain of a document is its graded
    /// relevance itself (linear, not 2^rel - 1), 0 when it is unjudged or its relevance is 0 or
    /// below; the gain at rank r (1-based) is divided by log2(r + 1); the DCG of the top k is
    /// divided by the ideal DCG, computed from ALL judged documents of the query (retrieved or not)
    /// sorted by relevance, best first, and cut at k. (Very old trec_eval versions divided rank r
    /// by log2(r) from rank 2 on, leaving rank 2 undiscounted; current ones use log2(r + 1), as here.)
    /// </summary>
    /// <example>Judgments {a: 2, b: 1}, ranking [b, a], k = 10:
    /// DCG = 1/log2(2) + 2/log2(3) = 2.2619; ideal = 2/log2(2) + 1/log2(3) = 2.6309; nDCG = 0.8597.</example>
    /// <param name="ranking">Document ids, best first.</param>
    /// <param name="judgments">Document id → relevance for this query.</param>
    /// <param name="k">The cutoff, at least 1.</param>
    /// <returns>A value in [0, 1]; 0 when the query has no relevant document.</returns>
    public static double NdcgAtK(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgments, int k)
    {
        Validate(ranking, judgments, k);
        var dcg = 0.0;
        for (var i = 0; i < Math.Min(k, ranking.Count); i++)
        {
            dcg += Gain(judgments, ranking[i]) / Math.Log2(i + 2);
        }
        var ideal = judgments.Values.Where(r => r > 0).OrderDescending().Take(k).ToArray();
        var idealDcg = 0.0;
        for (var i = 0; i < ideal.Length; i++)
        {
            idealDcg += ideal[i] / Math.Log2(i + 2);
        }
        return idealDcg > 0 ? dcg / idealDcg : 0.0;
    }

    /// <summary>
    /// Reciprocal rank at k: 1 / rank of the first relevant document among the top k, or 0 when none
    /// of the top k is relevant. trec_eval has no cut version of <c>recip_rank</c>; this equals
    /// <c>trec_eval -M k -m recip_rank</c> (only the top k of each query read).
    /// </summary>
    /// <param name="ranking">Document ids, best first.</param>
    /// <param name="judgments">Document id → relevance for this query.</param>
    /// <param name="k">The cutoff, at least 1.</param>
    public static double ReciprocalRankAtK(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgments, int k)
    {
        Validate(ranking, judgments, k);
        for (var i = 0; i < Math.Min(k, ranking.Count); i++)
        {
            if (IsRelevant(judgments, ranking[i])) return 1.0 / (i + 1);
        }
        return 0.0;
    }

    /// <summary>
    /// Average precision over the whole ranking (trec_eval <c>map</c> for one query): the sum of
    /// the precision at the rank of each relevant retrieved document, divided by the number of
    /// relevant judged documents, retrieved or not.
    /// </summary>
    /// <param name="ranking">Document ids, best first.</param>
    /// <param name="judgments">Document id → relevance for this query.</param>
    public static double AveragePrecision(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgments)
    {
        Validate(ranking, judgments, 1);
        var relevant = RelevantCount(judgments);
        if (relevant == 0) return 0.0;
        var found = 0;
        var sum = 0.0;
        for (var i = 0; i < ranking.Count; i++)
        {
            if (!IsRelevant(judgments, ranking[i])) continue;
            found++;
            sum += (double)found / (i + 1);
        }
        return sum / relevant;
    }

    /// <summary>
    /// Recall at k (trec_eval <c>recall_k</c>): relevant documents in the top k divided by the
    /// number of relevant judged documents.
    /// </summary>
    /// <param name="ranking">Document ids, best first.</param>
    /// <param name="judgments">Document id → relevance for this query.</param>
    /// <param name="k">The cutoff, at least 1.</param>
    public static double RecallAtK(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgments, int k)
    {
        Validate(ranking, judgments, k);
        var relevant = RelevantCount(judgments);
        return relevant == 0 ? 0.0 : (double)RelevantInTop(ranking, judgments, k) / relevant;
    }

    /// <summary>
    /// Precision at k (trec_eval <c>P_k</c>): relevant documents in the top k divided by k, even
    /// when fewer than k documents were retrieved.
    /// </summary>
    /// <param name="ranking">Document ids, best first.</param>
    /// <param name="judgments">Document id → relevance for this query.</param>
    /// <param name="k">The cutoff, at least 1.</param>
    public static double PrecisionAtK(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgments, int k)
    {
        Validate(ranking, judgments, k);
        return (double)RelevantInTop(ranking, judgments, k) / k;
    }

    /// <summary>All reported metrics of one query: nDCG@10, MRR@10, AP, Recall@100, P@10.</summary>
    /// <param name="ranking">Document ids, best first.</param>
    /// <param name="judgments">Document id → relevance for this query.</param>
    public static MetricSet Compute(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgments) =>
        new(
            NdcgAtK(ranking, judgments, 10),
            ReciprocalRankAtK(ranking, judgments, 10),
            AveragePrecision(ranking, judgments),
            RecallAtK(ranking, judgments, 100),
            PrecisionAtK(ranking, judgments, 10));

    private static int Gain(IReadOnlyDictionary<string, int> judgments, string docId) =>
        judgments.TryGetValue(docId, out var relevance) && relevance > 0 ? relevance : 0;

    private static bool IsRelevant(IReadOnlyDictionary<string, int> judgments, string docId) =>
        judgments.TryGetValue(docId, out var relevance) && relevance > 0;

    private static int RelevantCount(IReadOnlyDictionary<string, int> judgments) =>
        judgments.Values.Count(r => r > 0);

    private static int RelevantInTop(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgments, int k)
    {
        var count = 0;
        for (var i = 0; i < Math.Min(k, ranking.Count); i++)
        {
            if (IsRelevant(judgments, ranking[i])) count++;
        }
        return count;
    }

    private static void Validate(IReadOnlyList<string> ranking, IReadOnlyDictionary<string, int> judgments, int k)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        ArgumentNullException.ThrowIfNull(judgments);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        // A document counted twice would inflate every metric; trec_eval refuses such runs too.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ranking.Count; i++)
        {
            var docId = ranking[i] ?? throw new ArgumentException($"The ranking has a null document id at rank {i + 1}.", nameof(ranking));
            if (!seen.Add(docId))
            {
                throw new ArgumentException(
                    $"The ranking lists document \"{docId}\" twice (again at rank {i + 1}); each document may appear once.",
                    nameof(ranking));
            }
        }
    }
}
