namespace Rerank.Lucene.Evaluation;

/// <summary>
/// Scores a run against judgments and averages over queries.
/// <para>
/// Which queries count, as with <c>trec_eval -c</c>: every query of the qrels. A query whose
/// judgments are all 0 or below scores 0 on every metric (trec_eval's measures return 0 when a
/// query has no relevant document) and stays in the mean; so does a judged query that the run has
/// no ranking for, so a run that drops queries cannot look better than one that answers them.
/// Run queries without judgments are ignored. <see cref="EvaluationResult"/> lists both kinds.
/// </para>
/// </summary>
/// <example>
/// <code>
/// var qrels = QrelsReader.Read("qrels/test.tsv");
/// var run = TrecRunReader.Read("bm25.run");
/// var result = Evaluator.Evaluate(qrels, run);
/// Console.WriteLine($"{result.QueryCount} queries, nDCG@10 {result.Mean.Ndcg10:F4}");
/// </code>
/// </example>
public static class Evaluator
{
    /// <summary>Evaluates a run.</summary>
    /// <param name="qrels">The judgments.</param>
    /// <param name="run">Query id → document ids already in rank order, best first.</param>
    /// <returns>Per-query metrics, their mean and the number of queries evaluated.</returns>
    /// <exception cref="InvalidInputException">No query of the qrels has a relevant document (the wrong file, most likely).</exception>
    public static EvaluationResult Evaluate(Qrels qrels, IReadOnlyDictionary<string, IReadOnlyList<string>> run)
    {
        ArgumentNullException.ThrowIfNull(qrels);
        ArgumentNullException.ThrowIfNull(run);
        var queryIds = new List<string>();
        var missing = new List<string>();
        var noRelevant = new List<string>();
        var perQuery = new Dictionary<string, MetricSet>(StringComparer.Ordinal);
        foreach (var queryId in qrels.QueryIds)
        {
            queryIds.Add(queryId);
            if (qrels.RelevantCount(queryId) == 0) noRelevant.Add(queryId);
            if (run.TryGetValue(queryId, out var ranking))
            {
                perQuery.Add(queryId, RankingMetrics.Compute(ranking, qrels.Judgments(queryId)));
            }
            else
            {
                perQuery.Add(queryId, MetricSet.Zero);
                missing.Add(queryId);
            }
        }
        if (noRelevant.Count == queryIds.Count)
        {
            throw new InvalidInputException(
                "The judgments have no query with a relevant document (relevance above 0), so there is nothing " +
                "to evaluate. Check that the qrels file is the right one and that relevant documents have a score of 1 or more.");
        }
        var all = queryIds.Select(q => perQuery[q]).ToList();
        var mean = new MetricSet(
            all.Average(m => m.Ndcg10),
            all.Average(m => m.Mrr10),
            all.Average(m => m.Map),
            all.Average(m => m.Recall100),
            all.Average(m => m.P10));
        return new EvaluationResult(queryIds, perQuery, mean, missing, noRelevant);
    }
}
