using System.Globalization;
using Rerank.Lucene;

namespace Rerank.Training.Data;

/// <summary>
/// K-fold cross-validation over the training queries (cross-fitting): every query is in exactly one fold, and the
/// model judged on fold f is trained on the other folds only, so every training query judges a fine-tune that never
/// saw it. <c>rerank-train</c> uses it instead of a held-out dev set when that dev set would be too small to measure a
/// change (fewer than <see cref="MinHeldOutQueries"/> queries).
/// </summary>
/// <example>
/// 23 training queries, 5 folds: folds of 5, 5, 5, 4 and 4 queries; fold 0's model trains on the other 18.
/// </example>
internal sealed class CrossValidationFolds
{
    /// <summary>Folds used when cross-validation is chosen automatically.</summary>
    public const int DefaultFolds = 5;

    /// <summary>
    /// A held-out dev set smaller than this is replaced by cross-validation when the user chose neither: issue 9's
    /// threshold. Below it a dev set's 95% interval on nDCG@10 is wider than the gains at stake (±0.10 at 50 queries on SciFact).
    /// </summary>
    public const int MinHeldOutQueries = 50;

    private readonly Dictionary<string, int> _foldOf;

    private CrossValidationFolds(int count, Dictionary<string, int> foldOf)
    {
        Count = count;
        _foldOf = foldOf;
    }

    /// <summary>Number of folds.</summary>
    public int Count { get; }

    /// <summary>The fold of each training query id.</summary>
    public IReadOnlyDictionary<string, int> FoldOf => _foldOf;

    /// <summary>
    /// Deals the distinct query ids of <paramref name="groups"/> into <paramref name="folds"/> folds: the ids sorted
    /// ordinally, shuffled with <paramref name="seed"/>, then dealt round-robin, so fold sizes differ by at most one and
    /// the assignment depends only on the set of ids and the seed, not on file order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 folds, or more folds than queries.</exception>
    public static CrossValidationFolds Assign(IEnumerable<TrainingGroup> groups, int folds, int seed) => Assign(groups.Select(g => g.QueryId), folds, seed);

    /// <summary>As <see cref="Assign(IEnumerable{TrainingGroup}, int, int)"/>, for the distinct ids of <paramref name="queryIds"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 folds, or more folds than queries.</exception>
    public static CrossValidationFolds Assign(IEnumerable<string> queryIds, int folds, int seed)
    {
        var ids = queryIds.Distinct().Order(StringComparer.Ordinal).ToArray();
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(folds, ids.Length);
        var order = SeededRandom.For(seed, "cross-validation", "").SampleIndices(ids.Length, ids.Length);
        var foldOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var position = 0; position < order.Length; position++) foldOf[ids[order[position]]] = position % folds;
        return new CrossValidationFolds(folds, foldOf);
    }

    /// <summary>
    /// How many folds a run uses, or null to hold out a dev set instead. <paramref name="requested"/> is --cv-folds
    /// (null: not given; 0: never). Chosen automatically (<see cref="DefaultFolds"/>, at most one per query) only for
    /// judged queries (--qrels) when the user chose no dev set (neither --dev-qrels nor --dev-fraction) and the default
    /// hold-out would have fewer than <see cref="MinHeldOutQueries"/> queries.
    /// </summary>
    /// <param name="requested">--cv-folds: null when not given, 0 for none, else at least 2.</param>
    /// <param name="judgedQueries">Whether the training data are --queries with --qrels.</param>
    /// <param name="devQrels">Whether --dev-qrels was given.</param>
    /// <param name="devFractionGiven">Whether --dev-fraction was given.</param>
    /// <param name="queryCount">Distinct training queries.</param>
    /// <param name="heldOutCount">Dev queries the default hold-out would give.</param>
    /// <exception cref="InvalidInputException">--cv-folds given with data or options it cannot work with.</exception>
    public static int? Choose(int? requested, bool judgedQueries, bool devQrels, bool devFractionGiven, int queryCount, int heldOutCount)
    {
        if (requested == 0) return null;
        if (requested is { } k)
        {
            CheckRequested(k, judgedQueries, devQrels, devFractionGiven);
            if (k > queryCount)
                throw new InvalidInputException(string.Create(CultureInfo.InvariantCulture,
                    $"--cv-folds {k} needs at least {k} training queries, one per fold; the judgments have {queryCount}. Use --cv-folds {Math.Max(2, queryCount)} or fewer."));
            return k;
        }
        if (!judgedQueries || devQrels || devFractionGiven || queryCount < 2 || heldOutCount >= MinHeldOutQueries) return null;
        return Math.Min(DefaultFolds, queryCount);
    }

    /// <summary>
    /// Refuses --cv-folds <paramref name="requested"/> (at least 2) with data or options it cannot work with, before
    /// anything is read: it needs judged queries (--queries with --qrels) and no other choice of dev set.
    /// </summary>
    /// <exception cref="InvalidInputException">The combination, with the fix.</exception>
    public static void CheckRequested(int requested, bool judgedQueries, bool devQrels, bool devFractionGiven)
    {
        if (requested == 0) return;
        if (!judgedQueries)
            throw new InvalidInputException("--cv-folds cross-validates over judged training queries: use it with --queries and --qrels (not with --triples, --pairs, --mined or --self-supervised).");
        if (devQrels)
            throw new InvalidInputException("--cv-folds and --dev-qrels both choose what the fine-tuned model is judged on: drop --cv-folds to judge on the dev queries, or drop --dev-qrels to cross-validate over the training queries.");
        if (devFractionGiven)
            throw new InvalidInputException("--cv-folds and --dev-fraction both choose what the fine-tuned model is judged on: drop --dev-fraction to cross-validate, or pass --cv-folds 0 to hold out that fraction instead.");
    }

    /// <summary>The query ids of fold <paramref name="fold"/>, ordinal order.</summary>
    public IReadOnlyList<string> Queries(int fold) => _foldOf.Where(kv => kv.Value == fold).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>The groups fold <paramref name="fold"/>'s model trains on: those of every other fold, in input order.</summary>
    public IReadOnlyList<TrainingGroup> TrainingGroups(IReadOnlyList<TrainingGroup> groups, int fold) =>
        groups.Where(g => !_foldOf.TryGetValue(g.QueryId, out var f) || f != fold).ToList();

    /// <summary>One line per fold, "fold: id id ...", for the resume check (a resumed run must have the same folds).</summary>
    public string Describe() =>
        string.Join('\n', Enumerable.Range(0, Count).Select(f => f.ToString(CultureInfo.InvariantCulture) + ": " + string.Join(' ', Queries(f))));
}
