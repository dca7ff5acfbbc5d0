namespace Rerank.Lucene.Reranking;

/// <summary>
/// Scores whole documents with a cross-encoder through <see cref="PassageOptions"/>: every passage of every
/// document goes through one <see cref="CrossEncoder.Predict(IReadOnlyList{ValueTuple{string, string}}, CancellationToken)"/>
/// call (so the length-sorted batching spans all of them), then each document gets its passages' aggregate.
/// Reranking (<see cref="RerankingSearcher"/>, <see cref="CrossEncoderRescorer"/>) and evaluation share it.
/// </summary>
public static class PassageScorer
{
    /// <summary>One score per document, in input order.</summary>
    /// <param name="encoder">The cross-encoder.</param>
    /// <param name="query">The query text.</param>
    /// <param name="documents">Title and body of each document.</param>
    /// <param name="passages">How documents become passages and passage scores a document score.</param>
    /// <param name="ct">Cancels between batches.</param>
    /// <returns>Document scores (the activation's scale for First and Max; a sum of them for Sum).</returns>
    public static double[] Score(CrossEncoder encoder, string query, IReadOnlyList<(string? Title, string? Text)> documents,
        PassageOptions passages, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(passages);
        var pairs = Pairs(query, documents, passages);
        return pairs.Aggregate(encoder.Predict(pairs.Items, ct));
    }

    /// <summary>The (query, passage) pairs of every document, in document order, without scoring them.</summary>
    /// <exception cref="InvalidInputException"><paramref name="passages"/> is out of range (<see cref="PassageOptions.Validated"/>).</exception>
    /// <param name="query">The query text.</param>
    /// <param name="documents">Title and body of each document.</param>
    /// <param name="passages">How documents become passages and passage scores a document score.</param>
    public static PassagePairs Pairs(string query, IReadOnlyList<(string? Title, string? Text)> documents, PassageOptions passages)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(passages);
        passages.Validated("passages");
        var pairs = new List<(string, string)>();
        var first = new int[documents.Count + 1];
        var split = documents.Select(d => passages.Split(d.Title, d.Text)).ToList();
        if (passages is { Mode: not PassageMode.First, Select: { } n }) split = PassageSelection.Choose(query, split, n);
        for (var i = 0; i < documents.Count; i++)
        {
            first[i] = pairs.Count;
            foreach (var passage in split[i]) pairs.Add((query, passage));
        }
        first[documents.Count] = pairs.Count;
        return new PassagePairs(pairs, first, passages);
    }
}

/// <summary>The pairs <see cref="PassageScorer"/> scores for some documents, and how their scores become document scores.</summary>
public sealed class PassagePairs
{
    private readonly int[] _first;
    private readonly PassageOptions _passages;

    internal PassagePairs(IReadOnlyList<(string Query, string Passage)> items, int[] first, PassageOptions passages)
    {
        Items = items;
        _first = first;
        _passages = passages;
    }

    /// <summary>(query, passage) pairs, document by document.</summary>
    public IReadOnlyList<(string Query, string Passage)> Items { get; }

    /// <summary>One score per document from the cross-encoder's score of each pair in <see cref="Items"/> (same order).</summary>
    /// <exception cref="ArgumentException">The count differs from <see cref="Items"/>.</exception>
    public double[] Aggregate(IReadOnlyList<float> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count != Items.Count) throw new ArgumentException($"{scores.Count} scores for {Items.Count} pairs.", nameof(scores));
        var all = scores as float[] ?? scores.ToArray();
        var result = new double[_first.Length - 1];
        for (var i = 0; i < result.Length; i++)
            result[i] = _passages.Aggregate(all.AsSpan(_first[i], _first[i + 1] - _first[i]));
        return result;
    }
}
