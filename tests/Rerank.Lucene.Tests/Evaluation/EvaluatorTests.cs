using System.Text.Json;
using Rerank.Lucene.Evaluation;

namespace Rerank.Lucene.Tests.Evaluation;

public sealed class EvaluatorTests
{
    private const int Digits = 12;

    private static Qrels SampleQrels() => QrelsReader.Read(EvalFiles.Text("test.tsv",
        "query-id\tcorpus-id\tscore\n" +
        "q1\td1\t1\n" +
        "q2\td1\t1\nq2\td2\t1\n" +
        "q3\td9\t0\n" +          // no relevant document: counts, scoring 0 (trec_eval -c)
        "q4\td1\t1\n"));         // relevant document, but absent from the run: scores 0

    private static Dictionary<string, IReadOnlyList<string>> SampleRun() => new()
    {
        ["q1"] = ["d1"],
        ["q2"] = ["d2", "x"],
        ["q3"] = ["d9"],
        ["q5"] = ["d1"],         // not judged: ignored
    };

    [Fact]
    public void Evaluate_MissingQueryAndQueryWithoutRelevant_CountAsZeroAsTrecEvalC()
    {
        var result = Evaluator.Evaluate(SampleQrels(), SampleRun());

        // q1: d1 at rank 1 -> nDCG 1, RR 1, AP 1, recall 1, P@10 0.1.
        Assert.Equal(new MetricSet(1, 1, 1, 1, 0.1), result.PerQuery["q1"]);
        // q2: d2 at rank 1, d1 missed. DCG = 1; ideal = 1 + 1/log2(3) = 1.630929754; nDCG = 0.613147193.
        //     RR 1; AP = (1/1) / 2 = 0.5; recall 1/2; P@10 0.1.
        var q2 = result.PerQuery["q2"];
        Assert.Equal(0.6131471927654584, q2.Ndcg10, Digits);
        Assert.Equal(new MetricSet(q2.Ndcg10, 1, 0.5, 0.5, 0.1), q2);
        // q4: not in the run.
        Assert.Equal(MetricSet.Zero, result.PerQuery["q4"]);

        // q3: judged, nothing relevant: 0, and counted.
        Assert.Equal(MetricSet.Zero, result.PerQuery["q3"]);

        Assert.Equal(4, result.QueryCount);
        Assert.Equal(["q1", "q2", "q3", "q4"], result.QueryIds);
        Assert.Equal(["q4"], result.MissingQueryIds);
        Assert.Equal(["q3"], result.NoRelevantQueryIds);
        Assert.False(result.PerQuery.ContainsKey("q5"));
        // Means over 4 queries: nDCG (1 + 0.613147193 + 0 + 0) / 4 = 0.403286798; MRR (1 + 1) / 4;
        // MAP (1 + 0.5) / 4 = 0.375; recall (1 + 0.5) / 4 = 0.375; P@10 (0.1 + 0.1) / 4 = 0.05.
        Assert.Equal(1.6131471927654584 / 4, result.Mean.Ndcg10, Digits);
        Assert.Equal(0.5, result.Mean.Mrr10, Digits);
        Assert.Equal(0.375, result.Mean.Map, Digits);
        Assert.Equal(0.375, result.Mean.Recall100, Digits);
        Assert.Equal(0.05, result.Mean.P10, Digits);
    }

    [Fact]
    public void Evaluate_NoRelevantJudgmentAnywhere_Throws()
    {
        var qrels = QrelsReader.Read(EvalFiles.Text("test.tsv", "q1\td1\t0\n"));

        var e = Assert.Throws<InvalidInputException>(() => Evaluator.Evaluate(qrels, SampleRun()));

        Assert.Equal(
            "The judgments have no query with a relevant document (relevance above 0), so there is nothing " +
            "to evaluate. Check that the qrels file is the right one and that relevant documents have a score of 1 or more.",
            e.Message);
    }

    [Fact]
    public void MetricSet_Serialized_UsesStableJsonNames()
    {
        var json = JsonSerializer.Serialize(new MetricSet(0.5, 0.25, 0.125, 1, 0.1));

        Assert.Equal("{\"ndcg@10\":0.5,\"mrr@10\":0.25,\"map\":0.125,\"recall@100\":1,\"p@10\":0.1}", json);
        Assert.Equal(new MetricSet(0.5, 0.25, 0.125, 1, 0.1), JsonSerializer.Deserialize<MetricSet>(json));
    }
}
