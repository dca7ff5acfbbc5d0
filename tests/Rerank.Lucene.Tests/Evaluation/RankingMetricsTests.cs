using Rerank.Lucene.Evaluation;

namespace Rerank.Lucene.Tests.Evaluation;

public sealed class RankingMetricsTests
{
    private const int Digits = 12;

    // Graded judgments: d1 = 2, d2 = 1, d4 = 1 relevant (3 relevant); d3 = 0 judged not relevant.
    private static readonly Dictionary<string, int> Graded = new() { ["d1"] = 2, ["d2"] = 1, ["d3"] = 0, ["d4"] = 1 };

    // d3 (rel 0), d1 (rel 2), d5 (unjudged), d2 (rel 1); d4 is relevant but never retrieved; 4 < 10 results.
    private static readonly string[] Mixed = ["d3", "d1", "d5", "d2"];

    [Fact]
    public void NdcgAtK_GradedWithZeroUnjudgedAndUnretrieved_MatchesHandComputation()
    {
        // DCG@10 = 0/log2(2) + 2/log2(3) + 0/log2(4) + 1/log2(5) = 1.261859507 + 0.430676558 = 1.692536065
        // Ideal from ALL judged relevances sorted (2, 1, 1), including d4 never retrieved:
        //   2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.630929754 + 0.5 = 3.130929754
        // nDCG@10 = 1.692536065 / 3.130929754 = 0.540585768
        var expected = (2 / Math.Log2(3) + 1 / Math.Log2(5)) / (2 + 1 / Math.Log2(3) + 0.5);
        Assert.Equal(0.5405857679450102, expected, Digits);

        Assert.Equal(expected, RankingMetrics.NdcgAtK(Mixed, Graded, 10), Digits);
    }

    [Fact]
    public void NdcgAtK_CutoffTwo_CutsBothRankingAndIdeal()
    {
        // DCG@2 = 0 + 2/log2(3) = 1.261859507; ideal@2 = 2 + 1/log2(3) = 2.630929754; ratio 0.479624933.
        Assert.Equal(0.4796249331362629, RankingMetrics.NdcgAtK(Mixed, Graded, 2), Digits);
    }

    [Fact]
    public void NdcgAtK_GradedSwapped_UsesLinearGain()
    {
        // Ranking [b (1), a (2)]: DCG = 1/1 + 2/log2(3) = 2.261859507; ideal = 2 + 1/log2(3) = 2.630929754
        // nDCG = 0.859718700. (Exponential gain 2^rel - 1 would give (1 + 3/1.585) / (3 + 1/1.585) = 0.7967.)
        var judgments = new Dictionary<string, int> { ["a"] = 2, ["b"] = 1 };

        Assert.Equal(0.8597186998521972, RankingMetrics.NdcgAtK(["b", "a"], judgments, 10), Digits);
    }

    [Fact]
    public void NdcgAtK_PerfectRanking_IsOne()
    {
        Assert.Equal(1.0, RankingMetrics.NdcgAtK(["d1", "d2", "d4", "d3"], Graded, 10), Digits);
    }

    [Fact]
    public void NdcgAtK_NegativeRelevance_GivesNoGain()
    {
        // x = -1 contributes 0 (not a negative gain): DCG = 1/log2(3) = 0.630929754; ideal = 1/log2(2) = 1.
        var judgments = new Dictionary<string, int> { ["x"] = -1, ["y"] = 1 };

        Assert.Equal(0.6309297535714575, RankingMetrics.NdcgAtK(["x", "y"], judgments, 10), Digits);
    }

    [Fact]
    public void NdcgAtK_MoreRelevantThanK_IdealIsCutAtK()
    {
        // 12 documents of relevance 1; only r11 retrieved, at rank 1: DCG@10 = 1.
        // Ideal@10 = sum over ranks 1..10 of 1/log2(r+1) = 1 + 0.630930 + 0.5 + 0.430677 + 0.386853
        //   + 0.356207 + 0.333333 + 0.315465 + 0.301030 + 0.289065 = 4.543559; nDCG = 1/4.543559 = 0.220092.
        var judgments = Enumerable.Range(0, 12).ToDictionary(i => $"r{i}", _ => 1);
        var ideal = Enumerable.Range(1, 10).Sum(r => 1 / Math.Log2(r + 1));
        Assert.Equal(4.543559338088346, ideal, Digits);

        Assert.Equal(1 / ideal, RankingMetrics.NdcgAtK(["r11"], judgments, 10), Digits);
    }

    [Fact]
    public void AllMetrics_MixedRanking_MatchHandComputation()
    {
        var m = RankingMetrics.Compute(Mixed, Graded);

        Assert.Equal(0.5405857679450102, m.Ndcg10, Digits);
        // First relevant (d1) at rank 2: 1/2.
        Assert.Equal(0.5, m.Mrr10, Digits);
        // Relevant retrieved at ranks 2 (precision 1/2) and 4 (2/4); d4 missed: (0.5 + 0.5) / 3 relevant = 1/3.
        Assert.Equal(1.0 / 3, m.Map, Digits);
        // 2 of 3 relevant in the top 100.
        Assert.Equal(2.0 / 3, m.Recall100, Digits);
        // 2 relevant in the top 10, divided by 10 although only 4 were retrieved.
        Assert.Equal(0.2, m.P10, Digits);
    }

    [Fact]
    public void AllMetrics_NoRelevantRetrieved_AreZero()
    {
        // d3 is judged 0 and d5 is unjudged: nothing relevant retrieved although 3 relevant exist.
        Assert.Equal(MetricSet.Zero, RankingMetrics.Compute(["d3", "d5"], Graded));
    }

    [Fact]
    public void AllMetrics_QueryWithOnlyZeroJudgments_AreZero()
    {
        // No relevant document at all: ideal DCG is 0 and nDCG is defined as 0, like trec_eval.
        var judgments = new Dictionary<string, int> { ["d3"] = 0 };

        Assert.Equal(MetricSet.Zero, RankingMetrics.Compute(["d3", "d9"], judgments));
    }

    [Fact]
    public void AllMetrics_EmptyRanking_AreZero()
    {
        Assert.Equal(MetricSet.Zero, RankingMetrics.Compute([], Graded));
    }

    [Fact]
    public void AllMetrics_RelevantOnlyAtRank11_CountForMapAndRecallOnly()
    {
        // x1..x10 unjudged, then r at rank 11: MRR@10 = 0, P@10 = 0, nDCG@10 = 0; AP = (1/11)/1; recall@100 = 1/1.
        var ranking = Enumerable.Range(1, 10).Select(i => $"x{i}").Append("r").ToArray();
        var judgments = new Dictionary<string, int> { ["r"] = 1 };

        var m = RankingMetrics.Compute(ranking, judgments);

        Assert.Equal(new MetricSet(0, 0, 1.0 / 11, 1, 0), m);
    }

    [Fact]
    public void RecallAndMap_RelevantAtRank101_MapCountsItRecallDoesNot()
    {
        // a at rank 1, x2..x100 unjudged, b at rank 101; 2 relevant.
        // Recall@100 = 1/2. AP = (1/1 + 2/101) / 2 = (1 + 0.0198019802) / 2 = 0.5099009901.
        var ranking = new[] { "a" }.Concat(Enumerable.Range(2, 99).Select(i => $"x{i}")).Append("b").ToArray();
        Assert.Equal(101, ranking.Length);
        var judgments = new Dictionary<string, int> { ["a"] = 1, ["b"] = 1 };

        Assert.Equal(0.5, RankingMetrics.RecallAtK(ranking, judgments, 100), Digits);
        Assert.Equal(0.5099009900990099, RankingMetrics.AveragePrecision(ranking, judgments), Digits);
    }

    [Fact]
    public void PrecisionAndReciprocalRank_OtherCutoffs_UseK()
    {
        // Mixed: relevant at ranks 2 and 4. P@3 = 1/3; P@1 = 0; RR@1 = 0 (rank 2 is outside the top 1).
        Assert.Equal(1.0 / 3, RankingMetrics.PrecisionAtK(Mixed, Graded, 3), Digits);
        Assert.Equal(0.0, RankingMetrics.PrecisionAtK(Mixed, Graded, 1), Digits);
        Assert.Equal(0.0, RankingMetrics.ReciprocalRankAtK(Mixed, Graded, 1), Digits);
        Assert.Equal(0.5, RankingMetrics.ReciprocalRankAtK(Mixed, Graded, 2), Digits);
    }

    [Fact]
    public void Compute_DuplicateDocument_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => RankingMetrics.Compute(["d1", "d2", "d1"], Graded));

        Assert.Equal(
            "The ranking lists document \"d1\" twice (again at rank 3); each document may appear once. (Parameter 'ranking')",
            e.Message);
    }

    [Fact]
    public void NdcgAtK_ZeroCutoff_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RankingMetrics.NdcgAtK(Mixed, Graded, 0));
    }

    [Fact]
    public void NdcgAndAp_RandomRuns_AgreeWithIndependentReference()
    {
        // A second implementation written differently: gains as an array padded with zeros, discounts
        // by natural logarithms, the ideal by sorting every judged gain (clamped at 0); AP as the mean over
        // relevant judged documents of the precision at their rank (0 when not retrieved).
        var random = new Random(20240611);
        for (var trial = 0; trial < 500; trial++)
        {
            var pool = Enumerable.Range(0, 30).Select(i => $"doc{i}").ToArray();
            var judgments = pool.Where(_ => random.NextDouble() < 0.5)
                .ToDictionary(d => d, _ => random.Next(-1, 4));
            var ranking = pool.OrderBy(_ => random.Next()).Take(random.Next(0, 26)).ToArray();
            var k = random.Next(1, 16);

            Assert.Equal(ReferenceNdcg(ranking, judgments, k), RankingMetrics.NdcgAtK(ranking, judgments, k), Digits);
            Assert.Equal(ReferenceAp(ranking, judgments), RankingMetrics.AveragePrecision(ranking, judgments), Digits);
        }
    }

    private static double ReferenceNdcg(string[] ranking, Dictionary<string, int> judgments, int k)
    {
        double Dcg(double[] gains) => gains.Take(k).Select((g, i) => g * Math.Log(2) / Math.Log(i + 2)).Sum();
        var gains = ranking.Select(d => judgments.TryGetValue(d, out var r) ? Math.Max(r, 0) : 0.0).ToArray();
        var ideal = judgments.Values.Select(r => (double)Math.Max(r, 0)).ToArray();
        Array.Sort(ideal);
        Array.Reverse(ideal);
        var idealDcg = Dcg(ideal);
        return idealDcg == 0 ? 0 : Dcg(gains) / idealDcg;
    }

    private static double ReferenceAp(string[] ranking, Dictionary<string, int> judgments)
    {
        var relevant = judgments.Where(j => j.Value > 0).Select(j => j.Key).ToList();
        if (relevant.Count == 0) return 0;
        return relevant.Sum(d =>
        {
            var index = Array.IndexOf(ranking, d);
            if (index < 0) return 0.0;
            var relevantAbove = ranking.Take(index + 1).Count(x => judgments.TryGetValue(x, out var r) && r > 0);
            return (double)relevantAbove / (index + 1);
        }) / relevant.Count;
    }
}
