using Rerank.Lucene.Evaluation;

namespace Rerank.Lucene.Tests.Evaluation;

/// <summary>Reads the real SciFact files; the expected counts are those of the dataset's SOURCE.md.</summary>
public sealed class ScifactEvaluationTests
{
    private static string Dataset => TestPaths.DatasetOrNull("scifact")!;

    [DatasetFact("scifact")]
    public void Read_ScifactQueries_Has1109()
    {
        var queries = QueryFileReader.Read(Path.Combine(Dataset, "queries.jsonl"));

        Assert.Equal(1109, queries.Count);
    }

    [DatasetFact("scifact")]
    public void Read_ScifactTestQrels_Has300QueriesAnd339Rows()
    {
        var qrels = QrelsReader.Read(Path.Combine(Dataset, "qrels", "test.tsv"));

        Assert.Equal(300, qrels.QueryIds.Count);
        Assert.Equal(339, qrels.QueryIds.Sum(q => qrels.Judgments(q).Count));
        // Every score is 1, so every row is a relevant judgment.
        Assert.Equal(339, qrels.QueryIds.Sum(qrels.RelevantCount));
    }

    [DatasetFact("scifact")]
    public void Read_ScifactTrainQrels_Has809QueriesAnd919Rows()
    {
        var qrels = QrelsReader.Read(Path.Combine(Dataset, "qrels", "train.tsv"));

        Assert.Equal(809, qrels.QueryIds.Count);
        Assert.Equal(919, qrels.QueryIds.Sum(q => qrels.Judgments(q).Count));
    }

    [DatasetFact("scifact")]
    public void Evaluate_ScifactJudgmentsAsRun_ScoresPerfectExceptP10()
    {
        var queries = QueryFileReader.Read(Path.Combine(Dataset, "queries.jsonl")).Select(q => q.Id).ToHashSet();
        var qrels = QrelsReader.Read(Path.Combine(Dataset, "qrels", "test.tsv"));
        Assert.All(qrels.QueryIds, q => Assert.Contains(q, queries));
        var run = qrels.QueryIds.ToDictionary(q => q, q => (IReadOnlyList<string>)qrels.Judgments(q).Keys.Order(StringComparer.Ordinal).ToArray());

        var result = Evaluator.Evaluate(qrels, run);

        // The relevant documents themselves, all at relevance 1, ranked first: nDCG, MRR, MAP, recall are 1.
        // P@10 = relevant in top 10 / 10; no query has more than 10 relevant, so the mean is 339 / 300 / 10 = 0.113.
        Assert.Equal(300, result.QueryCount);
        Assert.Empty(result.MissingQueryIds);
        Assert.Equal(1.0, result.Mean.Ndcg10, 12);
        Assert.Equal(1.0, result.Mean.Mrr10, 12);
        Assert.Equal(1.0, result.Mean.Map, 12);
        Assert.Equal(1.0, result.Mean.Recall100, 12);
        Assert.Equal(0.113, result.Mean.P10, 12);
    }
}
