using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;

namespace Search.Host.Cli;

/// <summary>A hit as shown with a reranker; <paramref name="CrossEncoderScore"/> is null below the rerank window (--candidates).</summary>
internal sealed record ShownHit(int Rank, string DocId, double Score, int Bm25Rank, float Bm25Score, float? CrossEncoderScore, string Title, string Text);

/// <summary>
/// <c>--candidates</c> as a rescore window, like Elasticsearch's <c>window_size</c>: the BM25 top
/// <c>candidates</c> are reranked and come first; when more hits are asked for, the BM25 hits below the
/// window follow in their BM25 order with their BM25 scores, so no hit is dropped.
/// </summary>
internal static class RerankWindow
{
    /// <summary>The best <paramref name="top"/> hits for <paramref name="query"/>.</summary>
    public static List<ShownHit> Search(Bm25Searcher bm25, RerankingSearcher reranker, string query, int top, QuerySyntax syntax = QuerySyntax.BagOfWords, CancellationToken ct = default)
    {
        var window = reranker.Options.Candidates;
        var hits = bm25.Search(query, Math.Max(window, top), syntax);
        var shown = reranker.Rerank(query, hits.Take(window).ToList(), ct).Take(top)
            .Select(h => new ShownHit(h.Rank, h.DocId, h.Score, h.Bm25Rank, h.Bm25Score, h.CrossEncoderScore, h.Title, h.Text))
            .ToList();
        foreach (var h in hits.Skip(window).Take(top - shown.Count))
            shown.Add(new ShownHit(shown.Count + 1, h.DocId, h.Score, h.Rank, h.Score, null, h.Title, h.Text));
        return shown;
    }

    /// <summary>The note for standard error when the window is smaller than the hits shown, else null.</summary>
    /// <param name="window">--candidates.</param>
    /// <param name="top">Hits shown.</param>
    /// <param name="shown">How the note names the hits shown; default "--top N".</param>
    public static string? Note(int window, int top, string? shown = null) => window >= top ? null :
        $"Note: --candidates {window} is below {shown ?? $"--top {top}"}: the BM25 top {window} are reranked and hits " +
        $"{window + 1} to {top} follow in BM25 order with their BM25 scores (as Elasticsearch's rescore window_size). " +
        $"Raise --candidates to {top} or more to rerank every hit shown.";
}
