using Rerank.Training.Data;
using Rerank.Training.Trainer;

namespace Rerank.Lucene.Tests.Training.Trainer;

public sealed class TrainingRowsTests
{
    [Fact]
    public void FromGroups_TwoPositivesThreeNegativesTakeTwo_TwoRowsOfThree()
    {
        var group = new TrainingGroup("q1", "query",
            [new("p1", "pos one"), new("p2", "pos two")],
            [new("n1", "neg one"), new("n2", "neg two"), new("n3", "neg three")]);
        var rows = TrainingRows.FromGroups([group], negativesPerPositive: 2);
        Assert.Equal(2, rows.Count);
        Assert.Equal(["pos one", "neg one", "neg two"], rows[0].Documents);
        Assert.Equal(["pos two", "neg one", "neg two"], rows[1].Documents);
        Assert.Equal([1f, 0f, 0f], rows[1].Labels);
        // 4 negative cells / 2 positive cells = 2.
        Assert.Equal(2.0, TrainingRows.BalancingPositiveWeight(rows));
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
