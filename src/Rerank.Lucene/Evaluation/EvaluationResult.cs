namespace Rerank.Lucene.Evaluation;

/// <summary>The outcome of <see cref="Evaluator.Evaluate"/>: per-query metrics and their mean.</summary>
public sealed class EvaluationResult
{
    internal EvaluationResult(
        IReadOnlyList<string> queryIds,
        IReadOnlyDictionary<string, MetricSet> perQuery,
        MetricSet mean,
        IReadOnlyList<string> missingQueryIds,
        IReadOnlyList<string> noRelevantQueryIds)
    {
        NoRelevantQueryIds = noRelevantQueryIds;
        QueryIds = queryIds;
        PerQuery = perQuery;
        Mean = mean;
        MissingQueryIds = missingQueryIds;
    }

    /// <summary>How many queries were evaluated (the denominator of <see cref="Mean"/>).</summary>
    public int QueryCount => QueryIds.Count;

    /// <summary>The evaluated query ids, in qrels order.</summary>
    public IReadOnlyList<string> QueryIds { get; }

    /// <summary>The metrics of each evaluated query, by query id.</summary>
    public IReadOnlyDictionary<string, MetricSet> PerQuery { get; }

    /// <summary>The mean of each metric over the evaluated queries.</summary>
    public MetricSet Mean { get; }

    /// <summary>Judged queries with no relevant document (every judgment 0 or below); each scored 0 on every metric.</summary>
    public IReadOnlyList<string> NoRelevantQueryIds { get; }

    /// <summary>Evaluated queries that the run has no ranking for; each scored 0 on every metric.</summary>
    public IReadOnlyList<string> MissingQueryIds { get; }
}
