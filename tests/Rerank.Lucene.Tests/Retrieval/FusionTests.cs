using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Retrieval;

/// <summary>Fusion against values computed by hand from the formulas.</summary>
public class FusionTests
{
    private static IReadOnlyList<RankedDocument> Ranking(params string[] ids) =>
        ids.Select((id, i) => new RankedDocument(i + 1, id, 100 - i)).ToList();

    private static IReadOnlyList<RankedDocument> Scored(params (string Id, float Score)[] hits) =>
        hits.Select((h, i) => new RankedDocument(i + 1, h.Id, h.Score)).ToList();

    [Fact]
    public void ReciprocalRank_TwoRankings_SumsOneOverSixtyPlusRank()
    {
        var fused = Fusion.ReciprocalRank([Ranking("a", "b", "c"), Ranking("c", "a")]);

        // a = 1/61 + 1/62 = 0.0325224..., c = 1/63 + 1/61 = 0.0322661..., b = 1/62 = 0.0161290...
        Assert.Equal(["a", "c", "b"], fused.Select(f => f.DocId));
        Assert.Equal([1, 2, 3], fused.Select(f => f.Rank));
        Assert.Equal(0.0325224, fused[0].Score, 6);
        Assert.Equal(0.0322661, fused[1].Score, 6);
        Assert.Equal(0.0161290, fused[2].Score, 6);
    }

    [Fact]
    public void ReciprocalRank_UsesPositionsNotTheGivenRankOrScores()
    {
        // Ranks 7 and 9 and scores are ignored: positions 1 and 2 count.
        IReadOnlyList<RankedDocument> odd = [new(7, "x", 0.1f), new(9, "y", 50f)];

        var fused = Fusion.ReciprocalRank([odd], k: 1);

        Assert.Equal(["x", "y"], fused.Select(f => f.DocId));
        Assert.Equal(0.5f, fused[0].Score);       // 1 / (1 + 1)
        Assert.Equal(1f / 3, fused[1].Score);     // 1 / (1 + 2)
    }

    [Fact]
    public void ReciprocalRank_EqualScores_OrderedByDocIdNotInputOrder()
    {
        // "z" is first in one ranking and "m" first in the other: both score 1/61 + 1/62.
        var fused = Fusion.ReciprocalRank([Ranking("z", "m"), Ranking("m", "z")]);

        Assert.Equal(fused[0].Score, fused[1].Score);
        Assert.Equal(["z", "m"], fused.Select(f => f.DocId)); // a tie: larger id first (RankingOrder)
        var swapped = Fusion.ReciprocalRank([Ranking("m", "z"), Ranking("z", "m")]);
        Assert.Equal(["z", "m"], swapped.Select(f => f.DocId));
    }

    [Fact]
    public void ReciprocalRank_EmptyRanking_KeepsTheOther()
    {
        var fused = Fusion.ReciprocalRank([Ranking(), Ranking("b", "a")]);

        Assert.Equal(["b", "a"], fused.Select(f => f.DocId));
        Assert.Equal(1f / 61, fused[0].Score);
    }

    [Fact]
    public void ReciprocalRank_DuplicateInOneRanking_Throws()
    {
        Assert.Throws<ArgumentException>(() => Fusion.ReciprocalRank([Ranking("a", "a")]));
    }

    [Fact]
    public void WeightedMinMax_NormalisesEachRankingThenWeights()
    {
        var fused = Fusion.WeightedMinMax([(Scored(("a", 10), ("c", 8), ("b", 6)), 0.5), (Scored(("c", 0.9f), ("a", 0.5f)), 0.5)]);

        // BM25 min-max: a 1, c 0.5, b 0; dense: c 1, a 0. a = 0.5, c = 0.25 + 0.5 = 0.75, b = 0.
        Assert.Equal(["c", "a", "b"], fused.Select(f => f.DocId));
        Assert.Equal([0.75f, 0.5f, 0f], fused.Select(f => f.Score));
    }

    [Fact]
    public void WeightedMinMax_WeightZero_IgnoresThatRanking()
    {
        var fused = Fusion.WeightedMinMax([(Scored(("a", 3), ("b", 1)), 1.0), (Scored(("b", 9), ("a", 1)), 0.0)]);

        Assert.Equal(["a", "b"], fused.Select(f => f.DocId));
        Assert.Equal([1f, 0f], fused.Select(f => f.Score));
    }

    [Fact]
    public void WeightedMinMax_NegativeWeight_Throws()
    {
        Assert.Throws<ArgumentException>(() => Fusion.WeightedMinMax([(Scored(("a", 1)), -0.1)]));
    }
}
