namespace Rerank.Training.Mining;

/// <summary>Accumulates a <see cref="MiningReport"/> query by query.</summary>
internal sealed class MiningReportBuilder
{
    private readonly int _rangeMin;
    private readonly List<double> _negativesPerQuery = [];
    private readonly List<ShortQuery> _short = [];
    private readonly List<double> _positivePositions = [];
    private readonly List<double> _positiveBm25 = [];
    private readonly List<double> _negativeBm25 = [];
    private int _positives, _corpusNegatives, _falseNegatives, _notRetrieved;

    /// <summary>A builder for a run with this range_min.</summary>
    public MiningReportBuilder(int rangeMin) => _rangeMin = rangeMin;

    /// <summary>Records one query: its positives and where BM25 put them, the hard and corpus negatives picked.</summary>
    public void Add(
        string queryId, int positives, IReadOnlySet<string> positiveIds, IReadOnlyList<Candidate> candidates,
        IReadOnlyList<Candidate> hardNegatives, int corpusNegatives, int falseNegativesDropped, int wanted)
    {
        _positives += positives;
        var retrieved = candidates.Where(c => positiveIds.Contains(c.DocId)).ToArray();
        _notRetrieved += positiveIds.Count - retrieved.Length;
        foreach (var c in retrieved)
        {
            _positivePositions.Add(c.Position);
            _positiveBm25.Add(c.Score);
        }
        _negativeBm25.AddRange(hardNegatives.Select(c => (double)c.Score));
        _corpusNegatives += corpusNegatives;
        _falseNegatives += falseNegativesDropped;
        var got = hardNegatives.Count + corpusNegatives;
        _negativesPerQuery.Add(got);
        if (got < wanted) _short.Add(new ShortQuery(queryId, wanted, got));
    }

    /// <summary>The report of everything added.</summary>
    public MiningReport Build() => new(
        Queries: _negativesPerQuery.Count,
        Positives: _positives,
        NegativesPerQuery: Summary.Of(_negativesPerQuery),
        ShortQueries: _short.ToArray(),
        CorpusNegatives: _corpusNegatives,
        FalseNegativesDropped: _falseNegatives,
        PositivesRetrieved: _positivePositions.Count,
        PositivesNotRetrieved: _notRetrieved,
        PositivesAboveRange: _positivePositions.Count(p => p < _rangeMin),
        PositivePositions: Summary.Of(_positivePositions),
        PositiveBm25: Summary.Of(_positiveBm25),
        NegativeBm25: Summary.Of(_negativeBm25));
}
