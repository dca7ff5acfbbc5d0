namespace Rerank.Lucene.Evaluation;

/// <summary>
/// Scores a run against judgments and averages over queries.
/// <para>
/// Which queries count: every query of the qrels that has at least one relevant document
/// (relevance above 0). Queries whose judgments are all 0 or below are left out, since no
/// ranking can score on them. A counted query that the run has no ranking for scores 0 on every
/// metric and stays in the mean, as with <c>trec_eval -c</c>; so a run that drops queries cannot
/// look better than one that answers them. Run queries without judgments are ignored.
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
    /// <exception cref="InvalidInputException">No query of the qrels has a relevant document.</exception>
    public static EvaluationResult Evaluate(Qrels qrels, IReadOnlyDictionary<string, IReadOnlyList<string>> run)
    {
        ArgumentNullException.ThrowIfNull(qrels);
        ArgumentNullException.ThrowIfNull(run);
        var queryIds = new List<string>();
        var missing = new List<string>();
        var perQuery = new Dictionary<string, MetricSet>(StringComparer.Ordinal);
        foreach (var queryId in qrels.QueryIds)
        {
            if (qrels.RelevantCount(queryId) == 0) continue;
            queryIds.Add(queryId);
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
        if (queryIds.Count == 0)
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
        return new EvaluationResult(queryIds, perQuery, mean, missing);
    }
}
