using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

public sealed class SelfSupervisedDevTests
{
    private static readonly string[] Sentences =
    [
        "Aspirin blocks the enzyme that makes thromboxane.", "Platelets then stick together less.",
        "That is why a small daily dose lowers the risk of clots.", "Large doses irritate the stomach.",
    ];

    private static CorpusDocument Doc(string id) => new(id, "A title the dev set must not use", string.Join(' ', Sentences));

    [Fact]
    public void Build_KeepsEverySentenceWhoseSourceIsRetrieved_SourceShownWithTheSentenceRemoved()
    {
        // Four documents with the same text; the stand-in first stage decides where each one ranks.
        var store = new InMemoryDocumentStore([Doc("top"), Doc("second"), Doc("tenth"), Doc("missing"), new CorpusDocument("short", "T", "One sentence only.")]);
        var firstStage = new RankedByPlan(new Dictionary<string, int> { ["top"] = 1, ["second"] = 2, ["tenth"] = 10 });

        var (dev, report) = SelfSupervisedDev.Build(["top", "second", "tenth", "missing", "short"], store, firstStage, candidates: 10,
            new PseudoQueryOptions { MinDocumentWords = 10 });

        // Rank 1 is kept too: the index still holds the sentence, so that rank says nothing about the masked source.
        Assert.Equal(["ict:top", "ict:second", "ict:tenth"], dev.Select(g => g.QueryId));
        foreach (var group in dev)
        {
            // The query is one whole sentence of the document (never its title); the relevant document is the
            // document as the reranker reads it (title, text) with that sentence taken out.
            Assert.Contains(group.Query, Sentences);
            var positive = Assert.Single(group.Positives);
            Assert.Equal(group.QueryId[4..], positive.DocId);
            Assert.Equal("A title the dev set must not use " + string.Join(' ', Sentences.Where(s => s != group.Query)), positive.Text);
            Assert.DoesNotContain(group.Query, positive.Text);
            Assert.Empty(group.Negatives);
        }
        Assert.Equal(new SelfSupervisedDevReport(HeldOut: 5, NoSentence: 1, NotRetrieved: 1, AtTop: 1, Kept: 3), report);
        Assert.All(firstStage.Depths, d => Assert.Equal(10, d));
    }

    /// <summary>
    /// A stand-in first stage: Build asks once per held-out document with a sentence, in the held-out order, so call i
    /// places the i-th planned document at its planned rank among fillers (a document after the plan is not retrieved).
    /// </summary>
    private sealed class RankedByPlan(IReadOnlyDictionary<string, int> plan) : ICandidateRetriever
    {
        private readonly Queue<string> _next = new(plan.Keys);

        public List<int> Depths { get; } = [];

        public string Name => "bm25";

        public IReadOnlyList<SearchHit> Search(string query, int k) => throw new NotSupportedException();

        public IReadOnlyList<RankedDocument> Rank(string query, int k)
        {
            Depths.Add(k);
            var hits = Enumerable.Range(1, k).Select(r => new RankedDocument(r, $"filler-{r}", 1f / r)).ToList();
            if (_next.TryDequeue(out var id) && plan[id] <= k) hits[plan[id] - 1] = new RankedDocument(plan[id], id, 1f / plan[id]);
            return hits;
        }
    }
}
