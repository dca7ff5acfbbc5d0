using Rerank.Lucene.Indexing;
using Rerank.Training.Data;
using Rerank.Training.Mining;

namespace Rerank.Lucene.Tests.Training.Mining;

public sealed class HardNegativeMinerTests
{
    // d0..d39, text "text i".
    private static readonly InMemoryDocumentStore Store = new(Enumerable.Range(0, 40).Select(i => new CorpusDocument($"d{i}", "", $"text {i}")));

    // alpha: d0..d9 at positions 0..9, scores 10..1. beta: d5, d6, d7 with scores 4, 3, 2.
    private static FakeCandidateSource Source() => new(new()
    {
        ["alpha"] = Enumerable.Range(0, 10).Select(i => ($"d{i}", (float)(10 - i))).ToArray(),
        ["beta"] = [("d5", 4f), ("d6", 3f), ("d7", 2f)],
        ["wide"] = Enumerable.Range(0, 40).Select(i => ($"d{i}", (float)(40 - i))).ToArray(),
    });

    private static TrainingGroup Query(string id, string text, params string[] positives) =>
        new(id, text, positives.Select(p => new TrainingDocument(p, "positive " + p)).ToArray(), []);

    private static readonly TrainingGroup[] AlphaBeta = [Query("q1", "alpha", "d3", "d11"), Query("q2", "beta", "d5")];

    private static readonly MiningOptions TopOneToEight = new() { RangeMin = 1, RangeMax = 8, NumNegatives = 3, Sampling = SamplingStrategy.Top };

    [Fact]
    public void Mine_Top_HandDerivedNegativesAndDepth()
    {
        var source = Source();

        var result = new HardNegativeMiner(source, Store, TopOneToEight).Mine(AlphaBeta);

        // alpha: positions 1..7 minus the positive d3 → d1, d2, d4, d5, d6, d7; two positives × 3 → top 6, all of them.
        Assert.Equal(["d1", "d2", "d4", "d5", "d6", "d7"], result.Groups[0].Negatives.Select(n => n.DocId));
        Assert.Equal(new TrainingDocument("d4", "text 4"), result.Groups[0].Negatives[2]);
        Assert.Equal(AlphaBeta[0].Positives, result.Groups[0].Positives);
        // beta (one positive): positions 1..2 → d6, d7 only: short by one.
        Assert.Equal(["d6", "d7"], result.Groups[1].Negatives.Select(n => n.DocId));
        Assert.Equal([("alpha", 8), ("beta", 8)], source.Calls);
    }

    [Fact]
    public void Mine_Top_ReportHandDerived()
    {
        var report = new HardNegativeMiner(Source(), Store, TopOneToEight).Mine(AlphaBeta).Report;

        // Positives d3 (alpha, position 3, BM25 7), d11 (alpha, not retrieved), d5 (beta, position 0, BM25 4).
        // Hard negatives' BM25: alpha 9, 8, 6, 5, 4, 3; beta 3, 2 → mean 40 / 8.
        Assert.Equal(2, report.Queries);
        Assert.Equal(3, report.Positives);
        Assert.Equal(new Summary(2, 2, 4, 6), report.NegativesPerQuery);
        Assert.Equal([new ShortQuery("q2", 3, 2)], report.ShortQueries);
        Assert.Equal((2, 1, 1), (report.PositivesRetrieved, report.PositivesNotRetrieved, report.PositivesAboveRange));
        Assert.Equal(new Summary(2, 0, 1.5, 3), report.PositivePositions);
        Assert.Equal(new Summary(2, 4, 5.5, 7), report.PositiveBm25);
        Assert.Equal(new Summary(8, 2, 5, 9), report.NegativeBm25);
        Assert.Equal((0, 0), (report.CorpusNegatives, report.FalseNegativesDropped));
        Assert.Contains("queries short of negatives: 1 (q2: 2/3)", report.Format());
    }

    [Fact]
    public void Mine_RandomSameSeed_SameNegatives_IndependentOfOtherQueries()
    {
        var options = new MiningOptions { RangeMin = 2, RangeMax = 40, NumNegatives = 4 };
        var wide = Query("w", "wide", "d4");

        var together = new HardNegativeMiner(Source(), Store, options).Mine([Query("a", "alpha", "d3"), wide, Query("b", "beta", "d5")]);
        var alone = new HardNegativeMiner(Source(), Store, options).Mine([wide]);
        var otherSeed = Enumerable.Range(1, 5).Select(s => new HardNegativeMiner(Source(), Store, options with { Seed = s }).Mine([wide]).Groups[0].Negatives);

        Assert.Equal(together.Groups[1].Negatives, alone.Groups[0].Negatives);
        Assert.Equal(4, alone.Groups[0].Negatives.Count);
        Assert.DoesNotContain(alone.Groups[0].Negatives, n => n.DocId is "d0" or "d1" or "d4");
        Assert.Contains(otherSeed, n => !n.SequenceEqual(alone.Groups[0].Negatives));
    }

    [Fact]
    public void Mine_CorpusNegatives_NeverPositivesNeverDuplicates()
    {
        var options = TopOneToEight with { CorpusNegatives = 30 };

        for (var seed = 0; seed < 20; seed++)
        {
            var result = new HardNegativeMiner(Source(), Store, options with { Seed = seed }).Mine(AlphaBeta);

            foreach (var (group, input) in result.Groups.Zip(AlphaBeta))
            {
                var ids = group.Negatives.Select(n => n.DocId!).ToArray();
                Assert.Equal(ids.Length, ids.Distinct().Count());
                Assert.DoesNotContain(ids, id => input.Positives.Any(p => p.DocId == id));
            }
            // Counts are per positive. alpha (2 positives): 6 hard + 60 wanted of the 40 - 2 positives - 6 hard = 32 eligible.
            // beta (1 positive): 2 hard + 30 of the 40 - 1 - 2 = 37 eligible.
            Assert.Equal(38, result.Groups[0].Negatives.Count);
            Assert.Equal(32, result.Groups[1].Negatives.Count);
            Assert.Equal(62, result.Report.CorpusNegatives);
        }
    }

    [Fact]
    public void Mine_FalseNegativeScorer_DropsCandidatesAtOrAboveLowestPositive()
    {
        // The fake cross-encoder likes d1 and d2 as much as the positive (score 1), the rest less.
        float[] Score(string q, IReadOnlyList<string> docs) => docs.Select(d => d is "text 1" or "text 2" or "positive d3" or "positive d11" ? 1f : 0f).ToArray();

        var result = new HardNegativeMiner(Source(), Store, TopOneToEight, Score).Mine([AlphaBeta[0]]);

        // Two positives × 3 wanted; d4..d7 are all that is left.
        Assert.Equal(["d4", "d5", "d6", "d7"], result.Groups[0].Negatives.Select(n => n.DocId));
        Assert.Equal(2, result.Report.FalseNegativesDropped);
    }

    [Fact]
    public void Mine_BadOptions_ThrowsAtConstruction() =>
        Assert.Throws<InvalidInputException>(() => new HardNegativeMiner(Source(), Store, new MiningOptions { RangeMax = 5 }));
}
