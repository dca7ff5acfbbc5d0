using Rerank.Training.Data;

namespace Rerank.Training.Mining;

/// <summary>
/// Mines negatives for training queries from the index, composing the small parts: retrieve
/// <see cref="MiningOptions.RangeMax"/> candidates, keep positions in [range_min, range_max) that
/// are not positives (<see cref="CandidateFilter"/>), optionally drop likely false negatives
/// (<see cref="FalseNegativeFilter"/>), sample (<see cref="NegativeSampler"/>), optionally add
/// random corpus negatives (<see cref="CorpusNegativeSampler"/>). Counts are per positive: a query
/// with P judged positives gets up to P × <see cref="MiningOptions.NumNegatives"/> distinct hard
/// negatives, so that each of its training rows (one per positive) can hold negatives of its own
/// instead of all rows repeating the same few. Every random draw comes from a stream derived from
/// the seed and the query id, so a query's negatives do not depend on which other queries are mined.
/// </summary>
/// <example>
/// <code>
/// var miner = new HardNegativeMiner(candidates, store, new MiningOptions { NumNegatives = 4 });
/// var result = miner.Mine(BeirTrainingReader.Read("queries.jsonl", "qrels/train.tsv", store));
/// Console.Error.Write(result.Report.Format());
/// </code>
/// </example>
internal sealed class HardNegativeMiner
{
    private readonly ICandidateSource _candidates;
    private readonly IDocumentStore _store;
    private readonly MiningOptions _options;
    private readonly FalseNegativeFilter? _falseNegatives;

    /// <summary>A miner over one index.</summary>
    /// <param name="candidates">BM25 over the index.</param>
    /// <param name="store">The index documents (negative texts, corpus negatives).</param>
    /// <param name="options">Mining settings; validated here.</param>
    /// <param name="scorer">Optional (query, documents) → scores, e.g. the cross-encoder, for the false-negative filter.</param>
    public HardNegativeMiner(
        ICandidateSource candidates, IDocumentStore store, MiningOptions options,
        Func<string, IReadOnlyList<string>, float[]>? scorer = null)
    {
        options.Validate();
        _candidates = candidates;
        _store = store;
        _options = options;
        _falseNegatives = scorer is null ? null : new FalseNegativeFilter(scorer, options.FalseNegativeMargin);
    }

    /// <summary>
    /// One group per input query, in input order, with the input positives and the mined
    /// negatives (hard negatives in rank order, then corpus negatives). Input negatives are replaced.
    /// Positives are excluded by index id; a positive given only as text cannot be recognised among the candidates.
    /// </summary>
    /// <param name="queries">The training queries with their positives.</param>
    /// <param name="ct">Cancels between queries.</param>
    public MiningResult Mine(IReadOnlyList<TrainingGroup> queries, CancellationToken ct = default)
    {
        var report = new MiningReportBuilder(_options.RangeMin);
        var groups = new List<TrainingGroup>(queries.Count);
        foreach (var q in queries)
        {
            ct.ThrowIfCancellationRequested();
            var perPositive = Math.Max(1, q.Positives.Count);
            var wanted = (_options.NumNegatives + _options.CorpusNegatives) * perPositive;
            var positiveIds = q.Positives.Where(p => p.DocId is not null).Select(p => p.DocId!).ToHashSet(StringComparer.Ordinal);
            var candidates = _candidates.Search(q.Query, _options.RangeMax);
            var pool = CandidateFilter.Apply(candidates, positiveIds, _options.RangeMin, _options.RangeMax);

            var dropped = 0;
            if (_falseNegatives is not null && _options.NumNegatives > 0)
            {
                var kept = _falseNegatives.KeptIndices(q.Query, q.Positives.Select(p => p.Text).ToArray(), pool.Select(c => Text(c.DocId)).ToArray());
                dropped = pool.Count - kept.Count;
                pool = kept.Select(i => pool[i]).ToArray();
            }

            var hard = NegativeSampler.Sample(pool, _options.NumNegatives * perPositive, _options.Sampling, SeededRandom.For(_options.Seed, "negatives", q.QueryId));
            var excluded = positiveIds.Concat(hard.Select(c => c.DocId)).ToHashSet(StringComparer.Ordinal);
            var corpus = _options.CorpusNegatives == 0
                ? []
                : CorpusNegativeSampler.Sample(_store, _options.CorpusNegatives * perPositive, excluded, SeededRandom.For(_options.Seed, "corpus-negatives", q.QueryId));

            var negatives = hard.Select(c => Document(c.DocId)).Concat(corpus.Select(Document)).ToArray();
            groups.Add(new TrainingGroup(q.QueryId, q.Query, q.Positives, negatives));
            report.Add(q.QueryId, q.Positives.Count, positiveIds, candidates, hard, corpus.Count, dropped, wanted);
        }
        return new MiningResult(groups, report.Build());
    }

    private TrainingDocument Document(string docId) =>
        TrainingDocument.FromIndex(_store.Find(docId) ?? throw new InvalidOperationException(
            $"Retrieval returned document '{docId}', which the document store does not hold; the candidate source and the store must read the same index."));

    private string Text(string docId) => Document(docId).Text;
}
