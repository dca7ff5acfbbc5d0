using System.Globalization;
using Rerank.Lucene;

namespace Rerank.Training.Data;

/// <summary>
/// Holds out validation queries: either a seeded fraction of the training queries, or the
/// queries of an explicit dev judgments file. Groups are split by query id, so all groups of one
/// query (e.g. many triples) land on the same side.
/// </summary>
internal static class ValidationSplit
{
    /// <summary>The fraction held out when none is given: 10%, the share the Sentence Transformers guide's examples hold out.</summary>
    public const double DefaultFraction = 0.1;

    /// <summary>
    /// Holds out <c>round(fraction × queries)</c> distinct query ids (at least one when fraction &gt; 0
    /// and there are two or more queries; never all of them). The ids are sorted ordinally and
    /// shuffled with <paramref name="seed"/>, so the split depends only on the set of ids and the seed,
    /// not on file order. Both halves keep the input order.
    /// </summary>
    /// <example>10 queries, fraction 0.1 → 1 dev query; 809 SciFact train queries → 81.</example>
    public static TrainDevSplit HoldOut(IReadOnlyList<TrainingGroup> groups, double fraction, int seed) =>
        HoldOut(groups, fraction, seed, g => g.QueryId);

    /// <summary>
    /// As <see cref="HoldOut(IReadOnlyList{TrainingGroup}, double, int)"/>, but holds out <c>round(fraction × documents)</c>
    /// source documents (a group's first positive) with all their groups: for self-supervised pseudo-queries, where
    /// one document may give several queries (its title and a sentence) and <c>--dev-fraction</c> counts documents.
    /// </summary>
    /// <example>41 documents, 20 of them titled, <c>--pseudo-queries both</c> (61 queries), fraction 0.1 → 4 documents held out.</example>
    public static TrainDevSplit HoldOutDocuments(IReadOnlyList<TrainingGroup> groups, double fraction, int seed) =>
        HoldOut(groups, fraction, seed, g => g.Positives.Count > 0 && g.Positives[0].DocId is { } id ? id : g.QueryId);

    /// <summary>
    /// As <see cref="HoldOut(IReadOnlyList{TrainingGroup}, double, int)"/>, but only among the queries that can be judged:
    /// those with a positive named by index id (<see cref="TrainingDocument.DocId"/>), which validation can find among the
    /// first stage's candidates. A positive given only as text (a triple's "positive") can never be found there, so holding
    /// out its query would take it from training and validate nothing. <c>round(fraction × judgeable queries)</c> are held
    /// out (none when fewer than 2 queries can be judged); every other query trains. When every query can be judged the
    /// split is exactly <see cref="HoldOut(IReadOnlyList{TrainingGroup}, double, int)"/>'s.
    /// </summary>
    /// <example>10 triples, 4 of them with positive_id, fraction 0.25 → 1 of those 4 held out, 9 trained; all given as texts → none held out.</example>
    public static TrainDevSplit HoldOutJudgeable(IReadOnlyList<TrainingGroup> groups, double fraction, int seed)
    {
        var judgeable = groups.Where(CanBeJudged).Select(g => g.QueryId).ToHashSet(StringComparer.Ordinal);
        var dev = HoldOut(groups.Where(g => judgeable.Contains(g.QueryId)).ToArray(), fraction, seed).Dev.Select(g => g.QueryId).ToHashSet(StringComparer.Ordinal);
        return new TrainDevSplit(groups.Where(g => !dev.Contains(g.QueryId)).ToArray(), groups.Where(g => dev.Contains(g.QueryId)).ToArray());
    }

    /// <summary>Whether <paramref name="group"/> has a positive named by index id, so a validation can judge its query.</summary>
    public static bool CanBeJudged(TrainingGroup group) => group.Positives.Any(p => p.DocId is not null);

    private static TrainDevSplit HoldOut(IReadOnlyList<TrainingGroup> groups, double fraction, int seed, Func<TrainingGroup, string> key)
    {
        if (!(fraction >= 0 && fraction < 1))
            throw new InvalidInputException(
                $"validation fraction {fraction.ToString(CultureInfo.InvariantCulture)} is outside [0, 1); use e.g. 0.1 to hold out 10% of the training queries, or 0 for none.");
        var ids = groups.Select(key).Distinct().Order(StringComparer.Ordinal).ToArray();
        var count = (int)Math.Round(ids.Length * fraction, MidpointRounding.AwayFromZero);
        if (fraction > 0 && ids.Length >= 2) count = Math.Clamp(count, 1, ids.Length - 1);
        else if (ids.Length < 2) count = 0;
        var rng = SeededRandom.For(seed, "validation-split", "");
        var dev = rng.SampleIndices(ids.Length, count).Select(i => ids[i]).ToHashSet(StringComparer.Ordinal);
        return new TrainDevSplit(
            groups.Where(g => !dev.Contains(key(g))).ToArray(),
            groups.Where(g => dev.Contains(key(g))).ToArray());
    }

    /// <summary>
    /// Uses <paramref name="dev"/> (read from an explicit dev qrels file) as the validation set;
    /// a query in both (same id and same text) is an error, since validating on trained queries
    /// hides overfitting. Equal ids with different texts are different queries: pooled training
    /// data from several collections reuses ids such as "1".
    /// </summary>
    public static TrainDevSplit Explicit(IReadOnlyList<TrainingGroup> train, string trainPath, IReadOnlyList<TrainingGroup> dev, string devPath)
    {
        var trainQueries = train.Select(g => (g.QueryId, g.Query)).ToHashSet();
        var shared = dev.Where(g => trainQueries.Contains((g.QueryId, g.Query))).Select(g => g.QueryId).Distinct().ToArray();
        if (shared.Length > 0)
            throw new InvalidInputException(
                $"'{devPath}' shares {shared.Length} query id(s) with '{trainPath}' (first: '{shared[0]}'); a query must be in one split only. Use judgments of different queries, or omit the dev file to hold out a fraction of the training queries.",
                devPath);
        return new TrainDevSplit(train, dev);
    }
}
