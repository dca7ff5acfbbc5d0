using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Retrieval;

/// <summary>
/// BM25 hits rank as the run file written from them does. On med, query 14's scores 4.7563925 (doc 744)
/// and 4.756425 (doc 682) are equal to 4 decimals but not to the 6 a run file prints: ranking at 4
/// decimals put 744 first in the search results and second in the file.
/// </summary>
public sealed class NearTieOrderTests
{
    [DatasetFact("med")]
    public void Search_Med_OrderEqualsTheRunFileOrder()
    {
        var med = TestPaths.DatasetOrNull("med")!;
        var dir = TestPaths.NewTempDir("near-tie");
        try
        {
            var index = Path.Combine(dir, "idx");
            IndexBuilder.Build(CorpusReader.ReadJsonl(Path.Combine(med, "corpus.jsonl")), index, new IndexOptions());
            using var bm25 = Bm25Searcher.Open(index);
            var queries = QueryFileReader.Read(Path.Combine(med, "queries.jsonl"));
            var checkedPairs = 0;
            foreach (var query in queries.Where(q => q.Id is "14" or "17"))
            {
                var hits = bm25.Search(query.Text, 300);
                var written = new TrecRunWriter(TextWriter.Null, "bm25").WriteQuery(query.Id, hits.Select(h => new ScoredDocument(h.DocId, h.Score)));
                Assert.Equal(written, hits.Select(h => h.DocId));
                checkedPairs++;
            }
            Assert.Equal(2, checkedPairs);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
