using Rerank.Lucene.Evaluation;

namespace Rerank.Lucene.Tests.Evaluation;

public sealed class QrelsTests
{
    [Fact]
    public void Constructor_FromDictionary_CountsRelevantAboveZero()
    {
        var source = new Dictionary<string, IReadOnlyDictionary<string, int>>
        {
            ["q1"] = new Dictionary<string, int> { ["a"] = 2, ["b"] = 0, ["c"] = -1, ["d"] = 1 },
        };

        var qrels = new Qrels(source);

        Assert.Equal(["q1"], qrels.QueryIds);
        // a (2) and d (1) are relevant; b (0) and c (-1) are not.
        Assert.Equal(2, qrels.RelevantCount("q1"));
        Assert.Equal(4, qrels.Judgments("q1").Count);
    }

    [Fact]
    public void Constructor_FromDictionary_CopiesTheJudgments()
    {
        var docs = new Dictionary<string, int> { ["a"] = 1 };
        var qrels = new Qrels(new Dictionary<string, IReadOnlyDictionary<string, int>> { ["q1"] = docs });

        docs["b"] = 1;

        Assert.Equal(1, qrels.RelevantCount("q1"));
        Assert.False(qrels.Judgments("q1").ContainsKey("b"));
    }
}
