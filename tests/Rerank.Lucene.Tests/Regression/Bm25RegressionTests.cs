using System.Globalization;
using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Regression;

/// <summary>
/// Re-runs every checked-in BM25 regression on the shared datasets: index statistics exactly,
/// scores to 4 decimals. Each prints expected vs actual on failure.
/// </summary>
[Trait("Category", "Regression")]
public sealed class Bm25RegressionTests
{
    [DatasetFact("scifact")] public void Scifact_Flat_MatchesRecord() => Check("scifact-flat");
    [DatasetFact("scifact")] public void Scifact_Multifield_MatchesRecord() => Check("scifact-multifield");
    [DatasetFact("cranfield")] public void Cranfield_Flat_MatchesRecord() => Check("cranfield-flat");
    [DatasetFact("cisi")] public void Cisi_Flat_MatchesRecord() => Check("cisi-flat");
    [DatasetFact("med")] public void Med_Flat_MatchesRecord() => Check("med-flat");
    [DatasetFact("cacm")] public void Cacm_Flat_MatchesRecord() => Check("cacm-flat");
    [DatasetFact("lisa")] public void Lisa_Flat_MatchesRecord() => Check("lisa-flat");

    [Fact]
    public void Records_CoverEveryRegressionFile()
    {
        var names = RegressionRecord.All().Select(r => r.Name).ToList();

        Assert.Equal(["cacm-flat", "cisi-flat", "cranfield-flat", "lisa-flat", "med-flat", "scifact-flat", "scifact-multifield"], names);
    }

    private static void Check(string name)
    {
        var record = RegressionRecord.All().Single(r => r.Name == name).Record;
        var data = TestPaths.DatasetsRoot!;
        var indexDir = Path.Combine(TestPaths.NewTempDir("regression"), "index");
        var manifest = IndexBuilder.Build(
            CorpusReader.ReadJsonl(Path.Combine(data, record.Corpus), new CorpusReaderOptions(SkipEmpty: record.Index.SkipEmpty)),
            indexDir,
            new IndexOptions(record.Index.K1, record.Index.B, record.Index.Fields == "multifield" ? FieldsMode.Multifield : FieldsMode.Flat));

        Assert.Equal(record.ExpectedIndex.Documents, manifest.DocumentCount);
        foreach (var (field, expected) in record.ExpectedIndex.Fields ?? new Dictionary<string, ExpectedField>())
        {
            Assert.Equal(expected.UniqueTerms, manifest.FieldStatistics[field].UniqueTerms);
            Assert.Equal(expected.TotalTerms, manifest.FieldStatistics[field].TotalTerms);
        }

        using var searcher = Bm25Searcher.Open(indexDir);
        var qrels = QrelsReader.Read(Path.Combine(data, record.Qrels));
        var queries = QueryFileReader.Read(Path.Combine(data, record.Queries)).ToDictionary(q => q.Id, q => q.Text);
        var result = RunEvaluation.Evaluate(qrels, queries,
            text => searcher.Rank(text, 1000).Select(h => new ScoredDocument(h.DocId, h.Score)).ToList());

        var e = record.Expected.Bm25;
        var a = result.Mean;
        var report = string.Create(CultureInfo.InvariantCulture,
            $"{name}: expected nDCG@10 {e.Ndcg10:F4} MRR@10 {e.Mrr10:F4} MAP {e.Map:F4} R@100 {e.Recall100:F4} P@10 {e.P10:F4}; " +
            $"actual {a.Ndcg10:F4} {a.Mrr10:F4} {a.Map:F4} {a.Recall100:F4} {a.P10:F4}");
        Assert.Equal(record.Expected.Queries, result.QueryCount);
        Assert.True(Close(e.Ndcg10, a.Ndcg10) && Close(e.Mrr10, a.Mrr10) && Close(e.Map, a.Map) && Close(e.Recall100, a.Recall100) && Close(e.P10, a.P10), report);
        if (record.Reference is { } published)
        {
            // Within the tolerance of the published Anserini number.
            Assert.InRange(a.Ndcg10, published.Ndcg10 - 0.005, published.Ndcg10 + 0.005);
        }
    }

    /// <summary>Equal at 4 decimals: the record holds rounded values, so allow half a unit in the last place.</summary>
    private static bool Close(double expected, double actual) => Math.Abs(expected - actual) <= 0.00005 + 1e-12;
}
