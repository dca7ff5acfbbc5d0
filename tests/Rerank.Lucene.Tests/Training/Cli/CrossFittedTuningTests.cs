using Rerank.Lucene.Retrieval;
using Rerank.Training.Cli;
using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Cli;

/// <summary>
/// Cross-fitted tuning: each fold's queries are ranked with the score mode and weight tuned on the other folds only,
/// so a setting that fits the judged queries themselves cannot inflate the judgment. Hand-built case with two
/// candidates per query, a relevant "a-rel" and a non-relevant "z-non":
/// on fold A the first stage is wrong (z-non first) and the cross-encoder right; on fold B the first stage is right
/// and the cross-encoder wrong.
/// </summary>
public sealed class CrossFittedTuningTests
{
    private const double SecondPlace = 0.63092975357145753; // nDCG@10 with the one relevant document at rank 2: 1 / log2(3)

    private static readonly string[] FoldA = ["a1", "a2"];
    private static readonly string[] FoldB = ["b1", "b2"];

    private static (DevEvaluator Judged, Dictionary<string, float[]> Scores, CrossValidationFolds Folds) Case()
    {
        var ids = FoldA.Concat(FoldB).ToList();
        var groups = ids.Select(id => new TrainingGroup(id, "query " + id, [new TrainingDocument("a-rel", "relevant")], [])).ToList();
        var firstStage = new PerQueryCandidates(q => FoldA.Any(a => q.EndsWith(a, StringComparison.Ordinal))
            ? [new SearchHit(1, "z-non", 10f, "", "non"), new SearchHit(2, "a-rel", 9f, "", "relevant")]
            : [new SearchHit(1, "a-rel", 10f, "", "relevant"), new SearchHit(2, "z-non", 9f, "", "non")]);
        var judged = new DevEvaluator(firstStage, groups, candidates: 2);
        // Cross-encoder scores aligned with each query's candidates: right (a-rel higher) on A, wrong on B.
        var scores = new Dictionary<string, float[]>
        {
            ["a1"] = [0f, 1f], ["a2"] = [0f, 1f],
            ["b1"] = [0f, 1f], ["b2"] = [0f, 1f],
        };
        // Two folds exactly A and B: assign with a seed, then check which fold holds a1 (the assignment is seeded).
        var folds = Enumerable.Range(0, 200).Select(seed => CrossValidationFolds.Assign(groups, 2, seed))
            .First(f => f.FoldOf["a1"] == f.FoldOf["a2"] && f.FoldOf["b1"] == f.FoldOf["b2"]);
        return (judged, scores, folds);
    }

    [Fact]
    public void CrossFitted_EachFoldRankedWithTheOtherFoldsSetting_NotItsOwn()
    {
        var (judged, scores, folds) = Case();

        var pipeline = StartComparison.CrossFitted(judged, scores, folds, "test");

        // Tuned on B (to rank A): replace puts z-non first (0.631); interpolating at w < 0.5 follows B's right first
        // stage (1.0), and the weights are tried from 1 down, so 0.45 (w = 0.5 ties, and a tie goes to the larger doc id
        // as in trec_eval, z-non). On A, 0.45 * CE + 0.55 * first stage still puts z-non first: 0.631.
        // Tuned on A (to rank B): replace is already 1.0, interpolation never beats it, so replace; on B the
        // cross-encoder is wrong: 0.631. Every query comes second: the setting never fits its own fold.
        Assert.All(judged.QueryIds, id => Assert.Equal(SecondPlace, pipeline.Result.PerQuery[id].Ndcg10, 1e-12));
        // Tuned on all four queries (what a saved model stores), replace scores (1 + 1 + 0.631 + 0.631) / 4, and no
        // weight beats it: the mode is replace.
        Assert.Equal("replace", pipeline.Mode);
        Assert.Equal((2 + 2 * SecondPlace) / 4, StartComparison.FromScores(judged, scores, "all", null).Tuned.Ndcg10, 1e-12);
    }

    [Fact]
    public void Subset_KeepsTheCandidatesAndJudgmentsOfItsQueriesOnly()
    {
        var (judged, scores, _) = Case();

        var a = judged.Subset(["a1", "a2", "not-a-dev-query"]);

        Assert.Equal(FoldA, a.QueryIds);
        Assert.Equal(["z-non", "a-rel"], a.CandidateIds("a1"));
        // Replace on A: the cross-encoder is right there, both queries at 1.
        Assert.Equal(1.0, a.Replaced(scores).Mean.Ndcg10, 1e-12);
        Assert.Equal(SecondPlace, a.FirstStage!.Mean.Ndcg10, 1e-12);
    }

    [Fact]
    public void BestChange_HighestWins_ATieGoesToTheFirstGiven_NullsSkipped()
    {
        var (judged, scores, _) = Case();
        // By hand: the first stage alone and the cross-encoder alone each put one fold's queries first and the other's
        // second, (1 + 1 + 0.631 + 0.631) / 4 both; replace on A with weight 0 (the first stage) on B ranks all four first: 1.
        var firstStage = new DevPipeline("start re-tuned", judged.FirstStage!, "interpolate", 0.0);
        var alone = new DevPipeline("fine-tuned, start's settings", judged.Replaced(scores), "replace", null);
        var perfect = new DevPipeline("fine-tuned, re-tuned", judged.Combined(scores, id => FoldA.Contains(id) ? null : 0.0), "interpolate", 0.0);
        Assert.Equal(alone.Ndcg10, firstStage.Ndcg10, 1e-12);
        Assert.Equal(1.0, perfect.Ndcg10, 1e-12);

        Assert.Same(firstStage, StartComparison.BestChange(firstStage, alone));
        Assert.Same(alone, StartComparison.BestChange(null, alone, firstStage));
        Assert.Same(perfect, StartComparison.BestChange(firstStage, alone, perfect));
    }

    [Fact]
    public void FinalModelSettings_StartsPipelineWon_KeepsTheStartsSettings_ElseStoresTheTunedModeAndWeight()
    {
        var passages = new Rerank.Lucene.Reranking.PassageOptions(Rerank.Lucene.Reranking.PassageMode.Max, 64, 32, Select: 1);
        var start = new Rerank.Lucene.Reranking.RerankerSettings(0.2, "SciFact dev", 128, "interpolate", new Dictionary<string, double> { ["hybrid"] = 0.2, ["bm25"] = 0.3 },
            passages);
        var (judged, scores, _) = Case();
        var tuned = new DevPipeline("fine-tuned", judged.Replaced(scores), "interpolate", 0.65);

        var kept = TrainCommand.FinalModelSettings(true, start, tuned, "hybrid", 96, "5-fold cross-validation");
        var retuned = TrainCommand.FinalModelSettings(false, start, tuned, "hybrid", 96, "5-fold cross-validation");

        Assert.Equal(start with { MaxLength = 96 }, kept);
        Assert.Equal(0.65, retuned.InterpolationWeight);
        Assert.Equal("interpolate", retuned.ScoreMode);
        Assert.Equal(new Dictionary<string, double> { ["hybrid"] = 0.65 }, retuned.FirstStageWeights);
        Assert.Equal("5-fold cross-validation", retuned.TunedOn);
        Assert.Equal(96, retuned.MaxLength);
        // The start's way of reading documents goes with the fine-tune: it was judged that way.
        Assert.Equal(passages, retuned.Passages);
    }

    [Fact]
    public void Score_WithTheStartsPassages_ReadsTheSelectedWindowsAndAggregatesPerDocument()
    {
        // One query, two candidates; "far" holds the query's word only in its last 4-word window. A scorer that gives a pair
        // the count of "tides" in the passage: the whole document (the default) scores 1 for "far" as it sees all its words;
        // with one selected window the pair read is exactly the window holding "tides", as the passage splitter cuts it.
        var groups = new List<TrainingGroup> { new("q1", "ocean tides", [new TrainingDocument("far", "x")], []) };
        var firstStage = new PerQueryCandidates(_ => [new SearchHit(1, "near", 2f, "T", "budget report parking rules"), new SearchHit(2, "far", 1f, "T", "one two three four five six tides")]);
        var counting = new CountingScorer("tides");
        var selected = new Rerank.Lucene.Reranking.PassageOptions(Rerank.Lucene.Reranking.PassageMode.Max, 4, 2, Select: 1);

        var whole = new DevEvaluator(firstStage, groups, 2).Score(counting).Scores["q1"];
        var read = counting.Seen.ToList();
        counting.Seen.Clear();
        var windowed = new DevEvaluator(firstStage, groups, 2, passages: selected).Score(counting).Scores["q1"];

        Assert.Equal([("ocean tides", "T budget report parking rules"), ("ocean tides", "T one two three four five six tides")], read);
        Assert.Equal([0f, 1f], whole);
        // "far" splits into "T one two three four", "T three four five six", "T five six tides": the last is selected.
        Assert.Equal([("ocean tides", "T budget report parking rules"), ("ocean tides", "T five six tides")], counting.Seen);
        Assert.Equal([0f, 1f], windowed);
    }

    private sealed class CountingScorer(string word) : Rerank.Training.Trainer.IPairScorer
    {
        public List<(string Query, string Document)> Seen { get; } = [];

        public float[] Score(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct = default)
        {
            Seen.AddRange(pairs);
            return pairs.Select(p => (float)p.Document.Split(' ').Count(w => w == word)).ToArray();
        }
    }

    private sealed class PerQueryCandidates(Func<string, IReadOnlyList<SearchHit>> hits) : ICandidateRetriever
    {
        public string Name => "bm25";

        public IReadOnlyList<SearchHit> Search(string query, int k) => hits(query).Take(k).ToList();

        public IReadOnlyList<RankedDocument> Rank(string query, int k) => throw new NotSupportedException("not used by these tests");
    }
}
