using System.Numerics;
using Rerank.Lucene.Embedding;

namespace Rerank.Lucene.Retrieval;

/// <summary>
/// Dense retrieval: the query is embedded with the index's own bi-encoder and every stored document
/// vector is scored by its inner product with it (= cosine similarity, the vectors being
/// L2-normalised); the top k are returned, equal scores by document id descending (<see cref="RankingOrder"/>).
/// </summary>
/// <remarks>
/// Exact search, no approximate index: one pass over count x dimension floats per query
/// (SciFact, 5,183 x 384 = 2 M multiply-adds: well under a millisecond; query embedding dominates at
/// about 10-20 ms on 2 CPU cores). Linear in the collection: fine up to a few hundred thousand
/// documents (1 M x 384 is about 0.4 GFLOP, tens of milliseconds, and 1.5 GB of memory); beyond that
/// an approximate nearest-neighbour index is needed. Holds neither the index nor the encoder: the
/// caller disposes them. Thread-safe.
/// </remarks>
/// <example>
/// <code>
/// using var index = Bm25Searcher.Open("idx");                 // built with embeddings
/// using var encoder = BiEncoder.LoadBundled();
/// var dense = new DenseSearcher(index, encoder);
/// foreach (var hit in dense.Search("what makes bread rise?", 10)) Console.WriteLine($"{hit.Rank} {hit.DocId} {hit.Score:F4}");
/// </code>
/// </example>
public sealed class DenseSearcher : ICandidateRetriever
{
    private readonly Bm25Searcher _index;
    private readonly BiEncoder _encoder;
    private readonly DocumentVectors _vectors;
    private readonly string[] _ids;

    /// <summary>Loads the vectors of <paramref name="index"/> for querying with <paramref name="encoder"/>.</summary>
    /// <exception cref="InvalidInputException">The index has no vectors, they are damaged, or <paramref name="encoder"/> is not the model that made them.</exception>
    public DenseSearcher(Bm25Searcher index, BiEncoder encoder)
    {
        _index = index ?? throw new ArgumentNullException(nameof(index));
        _encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        _vectors = DocumentVectors.Open(index.IndexDirectory, index.Manifest);
        _vectors.Info.RequireCompatible(encoder, index.IndexDirectory);
        _ids = index.DocumentIdsInOrder();
        if (_ids.Length != _vectors.Count)
            throw new InvalidInputException(
                $"Index '{index.IndexDirectory}' has {_ids.Length} documents but {_vectors.Count} vectors. Rebuild it with `search-host index ... --overwrite`.",
                index.IndexDirectory);
    }

    /// <inheritdoc/>
    public string Name => "dense";

    /// <summary>The query encoder.</summary>
    public BiEncoder Encoder => _encoder;

    /// <summary>What the stored vectors were made with.</summary>
    public EmbeddingInfo Info => _vectors.Info;

    /// <inheritdoc/>
    public IReadOnlyList<RankedDocument> Rank(string query, int k) =>
        Top(query, k).Select((t, i) => new RankedDocument(i + 1, _ids[t.Doc], t.Score)).ToList();

    /// <inheritdoc/>
    public IReadOnlyList<SearchHit> Search(string query, int k) =>
        Top(query, k).Select((t, i) =>
        {
            var d = _index.GetDocumentAt(t.Doc);
            return new SearchHit(i + 1, d.Id, t.Score, d.Title, d.Text);
        }).ToList();

    /// <summary>The inner product of <paramref name="queryVector"/> [Dimension] with every document vector, by Lucene document number.</summary>
    public float[] ScoreAll(ReadOnlySpan<float> queryVector)
    {
        if (queryVector.Length != _vectors.Dimension)
            throw new ArgumentException($"Expected a vector of {_vectors.Dimension} floats, got {queryVector.Length}.", nameof(queryVector));
        var scores = new float[_vectors.Count];
        for (var doc = 0; doc < scores.Length; doc++) scores[doc] = Dot(queryVector, _vectors.Row(doc));
        return scores;
    }

    private List<(int Doc, float Score)> Top(string query, int k)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (string.IsNullOrWhiteSpace(query))
            throw new InvalidInputException("Expected a query with at least one word, found an empty query. Type some words to search for.");
        var scores = ScoreAll(_encoder.Embed(query));
        // Bounded min-heap of the best k: the root is the worst kept (lowest score, then highest id).
        var heap = new PriorityQueue<int, (float Score, string Id)>(k + 1, WorstFirst.Instance);
        for (var doc = 0; doc < scores.Length; doc++)
        {
            heap.Enqueue(doc, (scores[doc], _ids[doc]));
            if (heap.Count > k) heap.Dequeue();
        }
        var top = new List<(int Doc, float Score)>(heap.Count);
        while (heap.TryDequeue(out var doc, out var key)) top.Add((doc, key.Score));
        top.Reverse();
        return top;
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
            sum += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        var result = Vector.Sum(sum);
        for (; i < a.Length; i++) result += a[i] * b[i];
        return result;
    }

    /// <summary>Orders (score, id) so that the worse hit comes first: lower score, then what <see cref="RankingOrder"/> ranks lower.</summary>
    private sealed class WorstFirst : IComparer<(float Score, string Id)>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare((float Score, string Id) x, (float Score, string Id) y)
        {
            var byScore = x.Score.CompareTo(y.Score);
            return byScore != 0 ? byScore : RankingOrder.CompareTied(y.Id, x.Id);
        }
    }
}
