using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Retrieval;

public sealed class SciFactSmokeTests
{
    [DatasetFact("scifact")]
    public void BuildAndSearch_SciFactFlat_IndexesAllDocumentsAndFindsHits()
    {
        var corpus = Path.Combine(TestPaths.DatasetOrNull("scifact")!, "corpus.jsonl");
        var root = TestPaths.NewTempDir("scifact");
        try
        {
            var dir = Path.Combine(root, "idx");
            var manifest = IndexBuilder.Build(CorpusReader.Read(corpus), dir, new IndexOptions());

            using var searcher = Bm25Searcher.Open(dir);
            var hits = searcher.Search("0-dimensional biomaterials show inductive properties.", 10);

            Assert.Equal(5183, manifest.DocumentCount);
            Assert.Equal(5183, searcher.DocumentCount);
            Assert.Equal(10, hits.Count);
            Assert.Equal(searcher.GetDocument(hits[0].DocId)!.Text, hits[0].Text);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
