using Rerank.Training.Data;
using Rerank.Training.Trainer;

namespace Rerank.Lucene.Tests.Training.Trainer;

public sealed class TrainingRowsTests
{
    [Fact]
    public void FromGroups_TwoPositivesThreeNegativesTakeTwo_ConsecutiveSlicesWrapAround()
    {
        var group = new TrainingGroup("q1", "query",
            [new("p1", "pos one"), new("p2", "pos two")],
            [new("n1", "neg one"), new("n2", "neg two"), new("n3", "neg three")]);
        var rows = TrainingRows.FromGroups([group], negativesPerPositive: 2);
        Assert.Equal(2, rows.Count);
        // Row 0 takes negatives 0, 1; row 1 takes 2, 3 mod 3 = 0.
        Assert.Equal(["pos one", "neg one", "neg two"], rows[0].Documents);
        Assert.Equal(["pos two", "neg three", "neg one"], rows[1].Documents);
        Assert.Equal([1f, 0f, 0f], rows[1].Labels);
        // 4 negative cells / 2 positive cells = 2.
        Assert.Equal(2.0, TrainingRows.BalancingPositiveWeight(rows));
    }

    [Fact]
    public void FromGroups_EnoughNegatives_EachPositiveGetsItsOwn()
    {
        // 3 positives x 2 negatives, 6 negatives: rows 0, 1, 2 take n0-n1, n2-n3, n4-n5.
        var group = new TrainingGroup("q", "query",
            Enumerable.Range(0, 3).Select(i => new TrainingDocument($"p{i}", $"pos {i}")).ToArray(),
            Enumerable.Range(0, 6).Select(i => new TrainingDocument($"n{i}", $"neg {i}")).ToArray());
        var rows = TrainingRows.FromGroups([group], negativesPerPositive: 2);
        Assert.Equal([["pos 0", "neg 0", "neg 1"], ["pos 1", "neg 2", "neg 3"], ["pos 2", "neg 4", "neg 5"]], rows.Select(r => r.Documents.ToArray()));
    }

    [Fact]
    public void FromGroups_FewerNegativesThanPerPositive_EveryRowGetsAll()
    {
        var group = new TrainingGroup("q", "query", [new("p0", "pos 0"), new("p1", "pos 1")], [new("n0", "neg 0")]);
        var rows = TrainingRows.FromGroups([group], negativesPerPositive: 3);
        Assert.Equal([["pos 0", "neg 0"], ["pos 1", "neg 0"]], rows.Select(r => r.Documents.ToArray()));
        Assert.Equal([1f, 0f], rows[1].Labels);
    }

    [Fact]
    public void BalancingPositiveWeight_SoftLabels_SumsLabelMass()
    {
        // Labels 1, 0.5, 0: positive mass 1.5, negative mass 0 + 0.5 + 1 = 1.5 -> weight 1.
        var rows = TrainingRows.FromPairs([
            new LabeledPair("a", "q", new(null, "x"), 1f),
            new LabeledPair("b", "q", new(null, "y"), 0.5f),
            new LabeledPair("c", "q", new(null, "z"), 0f)]);
        Assert.Equal(1.0, TrainingRows.BalancingPositiveWeight(rows));
    }

    [Fact]
    public void FromGroups_NoPositive_ThrowsNamingTheQuery()
    {
        var ex = Assert.Throws<InvalidInputException>(() =>
            TrainingRows.FromGroups([new TrainingGroup("q9", "query", [], [new("n", "neg")])], 1));
        Assert.Equal("Training query 'q9' has no positive document; every training group needs at least one. Drop it or fix its judgments.", ex.Message);
    }
}
