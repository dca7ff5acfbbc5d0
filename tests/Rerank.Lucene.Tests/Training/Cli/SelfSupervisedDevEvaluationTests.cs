using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Rerank.Training.Cli;
using Rerank.Training.Data;
using Rerank.Training.Trainer;

namespace Rerank.Lucene.Tests.Training.Cli;

/// <summary>
/// The self-supervised dev set is scored with each source document masked: the cross-encoder reads the source
/// without the query sentence, so a scorer that only spots copied words cannot find it, while the other
/// candidates are read as indexed.
/// </summary>
public sealed class SelfSupervisedDevEvaluationTests
{
    private static readonly string[] Sentences =
    [
        "Aspirin blocks the enzyme that makes thromboxane.", "Platelets then stick together less.",
        "That is why a small daily dose lowers the risk of clots.", "Large doses irritate the stomach.",
    ];

    private static readonly CorpusDocument Source = new("src", "Aspirin", string.Join(' ', Sentences));

    /// <summary>Another document quoting every sentence of the source word for word, after other words.</summary>
    private static readonly CorpusDocument Quoting = new("quote", "Review", "A review quotes: " + string.Join(' ', Sentences));

    private static (IReadOnlyList<TrainingGroup> Dev, ICandidateRetriever FirstStage) Dev()
    {
        var store = new InMemoryDocumentStore([Source, Quoting]);
        // As a first stage over the unmasked index would rank them: the source first (it holds the sentence).
        var firstStage = new FixedCandidates([Source, Quoting]);
        var (dev, _) = SelfSupervisedDev.Build(["src"], store, firstStage, candidates: 2, new PseudoQueryOptions { MinDocumentWords = 10 });
        return (dev, firstStage);
    }

    [Fact]
    public void Score_PositiveTexts_SourceReadWithoutItsSentence_OthersAsIndexed()
    {
        var (dev, firstStage) = Dev();
        var query = Assert.Single(dev).Query;
        var scorer = new CopiedWordsScorer();

        var result = new DevEvaluator(firstStage, dev, candidates: 2, positiveTexts: true).Score(scorer).Replace;

        var masked = "Aspirin " + string.Join(' ', Sentences.Where(s => s != query));
        Assert.Equal(
        [
            (query, masked),
            (query, "Review A review quotes: " + string.Join(' ', Sentences)),
        ], scorer.Seen);
        // The copy spotter scores the quoting document 1 and the masked source 0: the source ranks second,
        // nDCG@10 = 1 / log2(3), by hand.
        Assert.Equal(1 / Math.Log2(3), result.Mean.Ndcg10, 1e-9);
    }

    [Fact]
    public void Score_WithoutPositiveTexts_EveryCandidateReadAsIndexed()
    {
        var (dev, firstStage) = Dev();
        var scorer = new CopiedWordsScorer();

        new DevEvaluator(firstStage, dev, candidates: 2).Score(scorer);

        Assert.Equal("Aspirin " + string.Join(' ', Sentences), scorer.Seen[0].Document);
    }

    [Theory]
    [InlineData(10, true)]
    [InlineData(4, false)]
    public void Decide_OnTheMaskedDevSet_KeepsTheFineTunedModelOnlyWhenItWinsBeyondNoise(int documents, bool keepTrained)
    {
        // Each document has a quoting twin holding its sentences word for word. The "start" only spots copied words,
        // so on masked sources it ranks the twin first (nDCG@10 1/log2(3) per query); the "fine-tuned" scorer matches
        // on context (the source's title names the item its sentences are about) and ranks the source first (1.0).
        // Every query gains the same, so the exact two-sided randomization p is 2/2^n: 2/1024 for 10 queries (kept),
        // 2/16 for 4 (not beyond noise: the start stays).
        var docs = Enumerable.Range(0, documents).SelectMany(i => new[]
        {
            new CorpusDocument($"d{i}", $"item{i}", string.Join(' ', Enumerable.Range(0, 4).Select(j => $"Fact {j} says item{i} weighs {i * 10 + j} grams in total."))),
            new CorpusDocument($"q{i}", "Review", "A review quotes: " + string.Join(' ', Enumerable.Range(0, 4).Select(j => $"Fact {j} says item{i} weighs {i * 10 + j} grams in total."))),
        }).ToArray();
        var store = new InMemoryDocumentStore(docs);
        var firstStage = new ContainingCandidates(docs);
        var ids = Enumerable.Range(0, documents).Select(i => $"d{i}").ToList();
        var (dev, report) = SelfSupervisedDev.Build(ids, store, firstStage, candidates: 2, new PseudoQueryOptions { MinDocumentWords = 10 });
        Assert.Equal(documents, report.Kept);
        var evaluator = new DevEvaluator(firstStage, dev, candidates: 2, positiveTexts: true);

        var start = StartComparison.Alone(evaluator, new CopiedWordsScorer(), "start", default);
        var trained = StartComparison.Alone(evaluator, new TitleInQueryScorer(), "fine-tuned", default);
        var (keep, delta, p) = StartComparison.Decide(start, trained);

        Assert.Equal(1 / Math.Log2(3), start.Ndcg10, 1e-9);
        Assert.Equal(1.0, trained.Ndcg10, 1e-9);
        Assert.Equal(1 - 1 / Math.Log2(3), delta, 1e-9);
        Assert.Equal(keepTrained, keep);
        Assert.Equal(keepTrained, p < StartComparison.Alpha);
    }

    /// <summary>Scores 1 when the document's first word (its title) occurs in the query, else 0.</summary>
    private sealed class TitleInQueryScorer : IPairScorer
    {
        public float[] Score(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct = default) =>
            pairs.Select(p => p.Query.Split(' ').Contains(p.Document.Split(' ')[0]) ? 1f : 0f).ToArray();
    }

    /// <summary>A first stage returning, in corpus order, the documents whose indexed text holds the query word for word.</summary>
    private sealed class ContainingCandidates(IReadOnlyList<CorpusDocument> docs) : ICandidateRetriever
    {
        public string Name => "bm25";

        public IReadOnlyList<SearchHit> Search(string query, int k) =>
            docs.Where(d => d.Text.Contains(query, StringComparison.Ordinal)).Take(k).Select((d, i) => new SearchHit(i + 1, d.Id, 10f - i, d.Title, d.Text)).ToList();

        public IReadOnlyList<RankedDocument> Rank(string query, int k) => Search(query, k).Select(h => new RankedDocument(h.Rank, h.DocId, h.Score)).ToList();
    }

    /// <summary>Scores 1 when the document contains the query word for word, else 0; records what it read.</summary>
    private sealed class CopiedWordsScorer : IPairScorer
    {
        public List<(string Query, string Document)> Seen { get; } = [];

        public float[] Score(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct = default)
        {
            Seen.AddRange(pairs);
            return pairs.Select(p => p.Document.Contains(p.Query, StringComparison.Ordinal) ? 1f : 0f).ToArray();
        }
    }

    /// <summary>A first stage returning the given documents in this order for any query.</summary>
    private sealed class FixedCandidates(IReadOnlyList<CorpusDocument> docs) : ICandidateRetriever
    {
        public string Name => "bm25";

        public IReadOnlyList<SearchHit> Search(string query, int k) =>
            docs.Take(k).Select((d, i) => new SearchHit(i + 1, d.Id, 10f - i, d.Title, d.Text)).ToList();

        public IReadOnlyList<RankedDocument> Rank(string query, int k) =>
            docs.Take(k).Select((d, i) => new RankedDocument(i + 1, d.Id, 10f - i)).ToList();
    }
}
