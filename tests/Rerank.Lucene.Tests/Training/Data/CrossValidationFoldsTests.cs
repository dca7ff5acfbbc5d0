using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

/// <summary>
/// The folds of rerank-train's cross-validation: a partition of the training queries, the same for the same ids and
/// seed, and no fold's model trains on a query of its own fold; and when a run cross-validates instead of holding out.
/// </summary>
public sealed class CrossValidationFoldsTests
{
    private static List<TrainingGroup> Groups(int count) =>
        Enumerable.Range(0, count).Select(i => new TrainingGroup($"q{i}", $"query {i}", [new TrainingDocument($"d{i}", "text")], [])).ToList();

    [Fact]
    public void Assign_23QueriesInto5Folds_IsAPartitionWithSizes5_5_5_4_4()
    {
        var folds = CrossValidationFolds.Assign(Groups(23), 5, seed: 42);

        var sizes = Enumerable.Range(0, 5).Select(f => folds.Queries(f).Count).OrderDescending().ToList();
        Assert.Equal([5, 5, 5, 4, 4], sizes);
        var all = Enumerable.Range(0, 5).SelectMany(folds.Queries).ToList();
        Assert.Equal(23, all.Count);
        Assert.Equal(Groups(23).Select(g => g.QueryId).Order(), all.Order());
    }

    [Fact]
    public void Assign_DependsOnTheIdsAndSeedOnly_NotOnFileOrder()
    {
        var groups = Groups(30);
        var reversed = Enumerable.Reverse(groups).ToList();

        var a = CrossValidationFolds.Assign(groups, 5, seed: 7);
        var b = CrossValidationFolds.Assign(reversed, 5, seed: 7);
        var c = CrossValidationFolds.Assign(groups, 5, seed: 8);

        Assert.Equal(a.Describe(), b.Describe());
        Assert.NotEqual(a.Describe(), c.Describe());
    }

    [Fact]
    public void TrainingGroups_OfAFold_HoldEveryOtherFoldsQueries_AndNoneOfItsOwn()
    {
        // Two groups per query (as triples give): both go with their query.
        var groups = Groups(12).Concat(Groups(12)).ToList();
        var folds = CrossValidationFolds.Assign(groups, 3, seed: 1);

        for (var f = 0; f < 3; f++)
        {
            var own = folds.Queries(f).ToHashSet();
            var train = folds.TrainingGroups(groups, f);
            Assert.DoesNotContain(train, g => own.Contains(g.QueryId));
            Assert.Equal(2 * (12 - own.Count), train.Count);
        }
    }

    [Theory]
    // requested (null: not given), --qrels, --dev-qrels, --dev-fraction given, queries, default hold-out size -> folds (0: hold out)
    [InlineData(null, true, false, false, 23, 2, 5)] // lisa: 2 dev queries held out -> 5 folds
    [InlineData(null, true, false, false, 499, 50, 0)] // a hold-out of 50 is enough: no cross-validation
    [InlineData(null, true, false, false, 490, 49, 5)]
    [InlineData(null, true, false, false, 3, 1, 3)] // at most one fold per query
    [InlineData(null, true, false, false, 1, 0, 0)] // one query cannot be cross-validated
    [InlineData(null, true, true, false, 23, 0, 0)] // the user's dev set
    [InlineData(null, true, false, true, 23, 2, 0)] // the user's hold-out
    [InlineData(null, false, false, false, 23, 2, 0)] // triples, pairs, mined, self-supervised: never automatically
    [InlineData(0, true, false, false, 23, 2, 0)] // --cv-folds 0
    [InlineData(10, true, false, false, 600, 60, 10)] // asked for: used even with a large hold-out
    public void Choose_FollowsTheRule(int? requested, bool qrels, bool devQrels, bool devFraction, int queries, int heldOut, int expected)
    {
        var folds = CrossValidationFolds.Choose(requested, qrels, devQrels, devFraction, queries, heldOut);

        Assert.Equal(expected == 0 ? null : expected, folds);
    }

    [Theory]
    [InlineData(false, false, false, 20, "use it with --queries and --qrels")]
    [InlineData(true, true, false, 20, "drop --cv-folds to judge on the dev queries, or drop --dev-qrels")]
    [InlineData(true, false, true, 20, "pass --cv-folds 0 to hold out that fraction instead")]
    [InlineData(true, false, false, 4, "--cv-folds 5 needs at least 5 training queries, one per fold; the judgments have 4. Use --cv-folds 4 or fewer.")]
    public void Choose_RequestedWhereItCannotWork_SaysWhyAndTheFix(bool qrels, bool devQrels, bool devFraction, int queries, string message)
    {
        var e = Assert.Throws<InvalidInputException>(() => CrossValidationFolds.Choose(5, qrels, devQrels, devFraction, queries, 2));

        Assert.Contains(message, e.Message);
    }
}
