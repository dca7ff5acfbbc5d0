using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Rerank.Training.Data;
using Rerank.Training.Mining;

namespace Rerank.Lucene.Tests.Training.Mining;

public sealed class Bm25MiningTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDir("srr-mine");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public void Mine_TinyIndex_NegativesAreTheOtherMatchesInBm25Order()
    {
        var indexDir = Path.Combine(_dir, "idx");
        IndexBuilder.Build(
        [
            new CorpusDocument("pos", "Aspirin", "Aspirin lowers the risk of a blood clot."),
            new CorpusDocument("both", "Clots", "Aspirin, clot, clot: a clot needs aspirin."),
            new CorpusDocument("one", "Headache", "Aspirin helps against headache."),
            new CorpusDocument("none", "Coffee", "Coffee keeps people awake."),
            new CorpusDocument("none2", "Tea", "Green tea has caffeine too."),
        ], indexDir, new IndexOptions());
        using var searcher = Bm25Searcher.Open(indexDir);
        var store = new IndexDocumentStore(searcher);
        var source = new RetrieverCandidateSource(searcher);
        var queries = new[] { new TrainingGroup("q1", "aspirin clot", [TrainingDocument.FromIndex(store.Find("pos")!)], []) };

        var candidates = source.Search("aspirin clot", 10);
        var result = new HardNegativeMiner(source, store, new MiningOptions { RangeMin = 0, RangeMax = 10, NumNegatives = 3, Sampling = SamplingStrategy.Top }).Mine(queries);

        // Only "pos", "both" and "one" contain a query term; "both" (clot ×3, aspirin ×2) outranks "one" (aspirin ×1).
        Assert.Equal([0, 1, 2], candidates.Select(c => c.Position));
        Assert.Equal(["both", "one"], result.Groups[0].Negatives.Select(n => n.DocId));
        Assert.Equal("Headache Aspirin helps against headache.", result.Groups[0].Negatives[1].Text);
        Assert.Equal(["pos", "both", "one", "none", "none2"], store.DocIds);
        Assert.Equal([new ShortQuery("q1", 3, 2)], result.Report.ShortQueries);
        Assert.Equal((1, 0), (result.Report.PositivesRetrieved, result.Report.PositivesNotRetrieved));
    }
}
