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
        var pairs = new List<(string, string)>();
        var first = new int[documents.Count + 1];
        for (var i = 0; i < documents.Count; i++)
        {
            first[i] = pairs.Count;
            foreach (var passage in passages.Split(documents[i].Title, documents[i].Text)) pairs.Add((query, passage));
        }
        first[documents.Count] = pairs.Count;
        var scores = encoder.Predict(pairs, ct);
        var result = new double[documents.Count];
        for (var i = 0; i < documents.Count; i++)
            result[i] = passages.Aggregate(scores.AsSpan(first[i], first[i + 1] - first[i]));
        return result;
    }
}
