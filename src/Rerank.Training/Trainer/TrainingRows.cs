using Rerank.Lucene;
using Rerank.Training.Data;

namespace Rerank.Training.Trainer;

/// <summary>Turns the data contract (groups, labelled pairs) into training rows.</summary>
internal static class TrainingRows
{
    /// <summary>
    /// One row per positive: the positive, then <paramref name="negativesPerPositive"/> of the group's
    /// negatives. Row i takes negatives i·n, i·n + 1, … (n = <paramref name="negativesPerPositive"/>),
    /// wrapping around the list, so the positives of a group share negatives only when the group holds
    /// fewer than P·n of them (the miner draws P·n for P positives); a group with fewer than n gives
    /// every row all of its negatives.
    /// </summary>
    public static IReadOnlyList<TrainingRow> FromGroups(IReadOnlyList<TrainingGroup> groups, int negativesPerPositive)
    {
        if (negativesPerPositive < 0) throw new ArgumentOutOfRangeException(nameof(negativesPerPositive), negativesPerPositive, "Negatives per positive must be >= 0.");
        var rows = new List<TrainingRow>();
        foreach (var g in groups)
        {
            if (g.Positives.Count == 0)
            {
                throw new InvalidInputException($"Training query '{g.QueryId}' has no positive document; every training group needs at least one. Drop it or fix its judgments.");
            }
            var take = Math.Min(negativesPerPositive, g.Negatives.Count);
            for (var i = 0; i < g.Positives.Count; i++)
            {
                var docs = new List<string>(1 + take) { g.Positives[i].Text };
                for (var j = 0; j < take; j++)
                {
                    docs.Add(g.Negatives[(int)(((long)i * negativesPerPositive + j) % g.Negatives.Count)].Text);
                }
                var labels = new float[docs.Count];
                labels[0] = 1f;
                rows.Add(new TrainingRow(g.Query, docs, labels));
            }
        }
        return rows;
    }

    /// <summary>One row of one candidate per labelled pair (pointwise losses only).</summary>
    public static IReadOnlyList<TrainingRow> FromPairs(IReadOnlyList<LabeledPair> pairs) =>
        pairs.Select(p =>
        {
            if (p.Label < 0 || p.Label > 1 || float.IsNaN(p.Label))
            {
                throw new InvalidInputException($"Pair of query '{p.QueryId}' has label {p.Label}; labels must be in [0, 1].");
            }
            return new TrainingRow(p.Query, [p.Document.Text], [p.Label]);
        }).ToList();

    /// <summary>
    /// The balancing positive weight: the sum of negative labels (1 - y) over the sum of positive
    /// labels y. With one positive and 4 negatives per row it is 4.
    /// </summary>
    public static double BalancingPositiveWeight(IReadOnlyList<TrainingRow> rows)
    {
        double pos = 0, neg = 0;
        foreach (var r in rows)
        {
            foreach (var y in r.Labels) { pos += y; neg += 1 - y; }
        }
        if (pos == 0) throw new InvalidInputException("The training data has no positive label; binary cross-entropy needs positives.");
        return neg == 0 ? 1.0 : neg / pos;
    }
}
