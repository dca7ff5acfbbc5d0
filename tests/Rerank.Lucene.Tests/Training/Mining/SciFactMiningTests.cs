using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Rerank.Training.Data;
using Rerank.Training.Mining;
using Xunit.Abstractions;

namespace Rerank.Lucene.Tests.Training.Mining;

public sealed class SciFactMiningTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDir("srr-scifact-mine");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    [DatasetFact("scifact")]
    public void Mine_FiftyTrainQueries_ReportInvariantsHold()
    {
        var data = TestPaths.DatasetOrNull("scifact")!;
        var indexDir = Path.Combine(_dir, "idx");
        IndexBuilder.Build(CorpusReader.Read(Path.Combine(data, "corpus.jsonl")), indexDir, new IndexOptions());
        using var searcher = Bm25Searcher.Open(indexDir);
        var store = new IndexDocumentStore(searcher);
        var trainQrels = Path.Combine(data, "qrels", "train.tsv");
        var queries = BeirTrainingReader.Read(Path.Combine(data, "queries.jsonl"), trainQrels, store).Take(50).ToArray();
        var judged = QrelsReader.Read(trainQrels);
        var options = new MiningOptions();

        var result = new HardNegativeMiner(new RetrieverCandidateSource(searcher), store, options).Mine(queries);
        var report = result.Report;
        output.WriteLine(report.Format());

        Assert.Equal(50, result.Groups.Count);
        Assert.Equal(50, report.Queries);
        Assert.Equal(queries.Sum(q => q.Positives.Count), report.Positives);
        Assert.Equal(report.Positives, report.PositivesRetrieved + report.PositivesNotRetrieved);
        foreach (var g in result.Groups)
        {
            var ids = g.Negatives.Select(n => n.DocId!).ToArray();
            Assert.DoesNotContain(ids, id => judged.Judgments(g.QueryId).GetValueOrDefault(id) > 0);
            Assert.Equal(ids.Length, ids.Distinct().Count());
            Assert.InRange(ids.Length, 0, options.NumNegatives * g.Positives.Count);
        }
        var counts = result.Groups.Select(g => g.Negatives.Count).ToArray();
        Assert.Equal(counts.Sum(), report.NegativeBm25.Count);
        Assert.Equal(counts.Average(), report.NegativesPerQuery.Mean, 9);
        Assert.Equal(result.Groups.Where(g => g.Negatives.Count < options.NumNegatives * g.Positives.Count).Select(g => g.QueryId), report.ShortQueries.Select(s => s.QueryId));
        // Queries with several judged positives get a slice of negatives per positive.
        var multi = result.Groups.First(g => g.Positives.Count > 1);
        Assert.True(multi.Negatives.Count > options.NumNegatives, $"query {multi.QueryId}: {multi.Positives.Count} positives, {multi.Negatives.Count} negatives");
        Assert.True(report.PositiveBm25.Mean > report.NegativeBm25.Mean, report.Format());
    }
}
