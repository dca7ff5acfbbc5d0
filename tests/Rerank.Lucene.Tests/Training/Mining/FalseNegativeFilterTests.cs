using Rerank.Training.Mining;

namespace Rerank.Lucene.Tests.Training.Mining;

public sealed class FalseNegativeFilterTests
{
    // Scores are chosen exactly representable in binary so the threshold is exact.
    private static readonly Dictionary<string, float> Scores = new()
    {
        ["P1"] = 0.75f, ["P2"] = 0.5f,
        ["far"] = -1f, ["below"] = 0.125f, ["at-floor"] = 0.25f, ["between"] = 0.375f, ["at-positive"] = 0.5f, ["above"] = 0.875f,
    };

    private static readonly string[] Candidates = ["far", "below", "at-floor", "between", "at-positive", "above"];

    private static float[] Score(string query, IReadOnlyList<string> docs) => docs.Select(d => Scores[d]).ToArray();

    [Fact]
    public void KeptIndices_Margin_KeepsOnlyStrictlyBelowLowestPositiveMinusMargin()
    {
        // lowest positive 0.5, margin 0.25 → floor 0.25: -1 and 0.125 kept; 0.25 (equal), 0.375, 0.5, 0.875 dropped.
        var kept = new FalseNegativeFilter(Score, 0.25f).KeptIndices("q", ["P1", "P2"], Candidates);

        Assert.Equal([0, 1], kept);
    }

    [Fact]
    public void KeptIndices_ZeroMargin_DropsScoresEqualToLowestPositive()
    {
        // floor 0.5: 0.375 is kept, 0.5 is dropped.
        var kept = new FalseNegativeFilter(Score, 0f).KeptIndices("q", ["P1", "P2"], Candidates);

        Assert.Equal([0, 1, 2, 3], kept);
    }

    [Fact]
    public void KeptIndices_OneCall_PositivesFirst()
    {
        var calls = new List<string[]>();
        var filter = new FalseNegativeFilter((q, docs) => { calls.Add([q, .. docs]); return Score(q, docs); }, 0f);

        filter.KeptIndices("query", ["P2"], ["far", "above"]);

        Assert.Equal(["query", "P2", "far", "above"], Assert.Single(calls));
    }

    [Fact]
    public void KeptIndices_ScorerReturnsWrongCount_Throws()
    {
        var filter = new FalseNegativeFilter((_, _) => [1f], 0f);

        var ex = Assert.Throws<InvalidOperationException>(() => filter.KeptIndices("q", ["P1"], ["far"]));

        Assert.Equal("The scorer returned 1 scores for 2 documents; expected one score per document.", ex.Message);
    }
}
