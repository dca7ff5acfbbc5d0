using System.Globalization;
using Rerank.Lucene.Evaluation;

namespace Rerank.Lucene.Tests.Evaluation;

/// <summary>
/// Our reader and evaluator against trec_eval 10.0's own output on the same files
/// (tests/fixtures/trec-eval: the files, the generator and the trec_eval commands).
/// </summary>
public sealed class TrecEvalGoldenTests
{
    private static readonly string Folder = Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "trec-eval");

    /// <summary>(measure, query or "all") → value, from trec_eval -q output.</summary>
    private static Dictionary<(string Measure, string Query), double> ReadExpected(string file)
    {
        var values = new Dictionary<(string, string), double>();
        foreach (var line in File.ReadLines(Path.Combine(Folder, file)))
        {
            var cols = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            values[(cols[0], cols[1])] = double.Parse(cols[2], CultureInfo.InvariantCulture);
        }
        return values;
    }

    private static EvaluationResult Evaluate() =>
        Evaluator.Evaluate(QrelsReader.Read(Path.Combine(Folder, "qrels.txt")), TrecRunReader.Read(Path.Combine(Folder, "run.txt")));

    [Fact]
    public void EveryQueryAndMean_EqualTrecEvalWithC_ToFourDecimals()
    {
        var expected = ReadExpected("expected-c.txt");
        var result = Evaluate();

        Assert.Equal((int)expected[("num_q", "all")], result.QueryCount);
        var measures = new (string Name, Func<MetricSet, double> Get)[]
        {
            ("ndcg_cut_10", m => m.Ndcg10), ("map", m => m.Map), ("P_10", m => m.P10), ("recall_100", m => m.Recall100),
        };
        var compared = 0;
        foreach (var (name, get) in measures)
        {
            foreach (var query in result.QueryIds)
            {
                Assert.True(expected.TryGetValue((name, query), out var value), $"trec_eval printed no {name} for {query}");
                Assert.Equal(value, Math.Round(get(result.PerQuery[query]), 4, MidpointRounding.AwayFromZero), 4);
                compared++;
            }
            Assert.Equal(expected[(name, "all")], Math.Round(get(result.Mean), 4, MidpointRounding.AwayFromZero), 4);
        }
        Assert.Equal(4 * 19, compared);
    }

    [Fact]
    public void Mrr10_EqualsTrecEvalRecipRankReadingTheTop10()
    {
        var expected = ReadExpected("expected-recip-rank-M10.txt");
        var result = Evaluate();

        foreach (var query in result.QueryIds)
        {
            Assert.Equal(expected[("recip_rank", query)], Math.Round(result.PerQuery[query].Mrr10, 4, MidpointRounding.AwayFromZero), 4);
        }
        Assert.Equal(expected[("recip_rank", "all")], Math.Round(result.Mean.Mrr10, 4, MidpointRounding.AwayFromZero), 4);
    }

    [Fact]
    public void QueriesThatScoreZero_AreCountedAndNamed()
    {
        var result = Evaluate();

        Assert.Equal(["q3"], result.NoRelevantQueryIds);
        Assert.Equal(["q4"], result.MissingQueryIds);
        Assert.DoesNotContain("q5", result.QueryIds);
        Assert.Equal(MetricSet.Zero, result.PerQuery["q3"]);
    }

    [Fact]
    public void Ties_RankByDocumentIdDescending_AsTrecEval()
    {
        var run = TrecRunReader.Read(Path.Combine(Folder, "run.txt"));

        Assert.Equal(["b", "a", "c", "d"], run["q1"]);
        // 10.5 four times: byte order "D10" < "D9" < "d1"... descending is d1, D9, D10, D1.
        Assert.Equal(["d1", "D9", "D10", "D1"], run["q7"].Skip(7).Take(4));
    }
}
