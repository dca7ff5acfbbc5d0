namespace Rerank.Lucene.Evaluation;

/// <summary>
/// Ranks every judged query with a caller's ranking function, optionally writes the ranking as a
/// TREC run, and evaluates exactly the order written. BM25 evaluation, reranked evaluation and the
/// trainer's validation all go through here, so they rank and score queries the same way.
/// </summary>
/// <example>
/// <code>
/// using var searcher = Bm25Searcher.Open("idx");
/// var result = RunEvaluation.Evaluate(qrels, queries,
///     text => searcher.Search(text, 1000).Select(h => new ScoredDocument(h.DocId, h.Score)).ToList());
/// Console.WriteLine(result.Mean.Ndcg10);
/// </code>
/// </example>
public static class RunEvaluation
{
    /// <summary>
    /// Evaluates <paramref name="rank"/> on the queries of <paramref name="qrels"/> found in
    /// <paramref name="queries"/>; judged queries without text score 0 (see <see cref="Evaluator"/>).
    /// </summary>
    /// <param name="qrels">The judgments; they decide which queries count.</param>
    /// <param name="queries">Query id to query text.</param>
    /// <param name="rank">Query text to retrieved documents with scores, in any order.</param>
    /// <param name="writer">Receives each query's ranking when given; the ranking evaluated is the one written.</param>
    /// <param name="ct">Cancels between queries.</param>
    public static EvaluationResult Evaluate(
        Qrels qrels,
        IReadOnlyDictionary<string, string> queries,
        Func<string, IReadOnlyList<ScoredDocument>> rank,
        TrecRunWriter? writer = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(qrels);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(rank);
        // The writer fixes the order (printed score, ties by doc id); without a file we still rank
        // through one writing nowhere, so the evaluated order never depends on whether a file is kept.
        writer ??= new TrecRunWriter(TextWriter.Null, "run");
        var ranking = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var id in qrels.QueryIds)
        {
            ct.ThrowIfCancellationRequested();
            if (!queries.TryGetValue(id, out var text)) continue;
            ranking[id] = writer.WriteQuery(id, rank(text));
        }
        return Evaluator.Evaluate(qrels, ranking);
    }
}
