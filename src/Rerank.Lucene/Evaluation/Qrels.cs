namespace Rerank.Lucene.Evaluation;

/// <summary>
/// Relevance judgments: for each query id, the judged document ids and their graded relevance.
/// A document is relevant when its relevance is above 0 (trec_eval's default relevance level 1);
/// 0 means judged not relevant; negative values are kept but count as not relevant.
/// Read one with <see cref="QrelsReader.Read"/>.
/// </summary>
public sealed class Qrels
{
    private static readonly IReadOnlyDictionary<string, int> NoJudgments = new Dictionary<string, int>();

    private readonly Dictionary<string, IReadOnlyDictionary<string, int>> _byQuery;
    private readonly Dictionary<string, int> _relevantCount;

    /// <summary>Builds judgments from query id → (document id → relevance).</summary>
    /// <param name="judgments">The judgments; copied. Query ids keep the enumeration order of this dictionary.</param>
    public Qrels(IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> judgments)
        : this(judgments.Select(q => KeyValuePair.Create(q.Key, q.Value)))
    {
    }

    /// <summary>Builds judgments from (query id, document → relevance) pairs, keeping their order.</summary>
    internal Qrels(IEnumerable<KeyValuePair<string, IReadOnlyDictionary<string, int>>> judgments)
    {
        ArgumentNullException.ThrowIfNull(judgments);
        var ids = new List<string>();
        _byQuery = new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);
        _relevantCount = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (queryId, docs) in judgments)
        {
            ArgumentNullException.ThrowIfNull(queryId);
            ArgumentNullException.ThrowIfNull(docs);
            var copy = new Dictionary<string, int>(docs, StringComparer.Ordinal);
            if (!_byQuery.TryAdd(queryId, copy))
            {
                throw new ArgumentException($"Query id \"{queryId}\" appears twice.", nameof(judgments));
            }
            _relevantCount.Add(queryId, copy.Values.Count(r => r > 0));
            ids.Add(queryId);
        }
        QueryIds = ids;
    }

    /// <summary>The judged query ids, in the order they first appear (file order when read from a file).</summary>
    public IReadOnlyList<string> QueryIds { get; }

    /// <summary>The judgments of one query: document id → relevance; empty for a query without judgments.</summary>
    /// <param name="queryId">The query id.</param>
    public IReadOnlyDictionary<string, int> Judgments(string queryId) =>
        _byQuery.TryGetValue(queryId, out var docs) ? docs : NoJudgments;

    /// <summary>How many documents of one query are relevant (relevance above 0); 0 for an unknown query.</summary>
    /// <param name="queryId">The query id.</param>
    public int RelevantCount(string queryId) =>
        _relevantCount.TryGetValue(queryId, out var count) ? count : 0;
}
