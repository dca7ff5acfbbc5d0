using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;

namespace Search.Host.Cli;

/// <summary>A hit as shown with a reranker; <paramref name="CrossEncoderScore"/> is null below the rerank window (--candidates).</summary>
internal sealed record ShownHit(int Rank, string DocId, double Score, int FirstStageRank, float FirstStageScore, float? CrossEncoderScore, string Title, string Text);

/// <summary>
/// <c>--candidates</c> as a rescore window, like Elasticsearch's <c>window_size</c>: the first stage's top
/// <c>candidates</c> (BM25, dense or hybrid) are reranked and come first; when more hits are asked for, the
/// first-stage hits below the window follow in their first-stage order with their scores, so no hit is dropped.
/// </summary>
internal static class RerankWindow
{
    /// <summary>The best <paramref name="top"/> hits for <paramref name="query"/>.</summary>
    /// <param name="firstStage">The first stage: (query, k) to its top k hits.</param>
    /// <param name="reranker">Reranks the window.</param>
    /// <param name="query">The query.</param>
    /// <param name="top">Hits to return.</param>
    /// <param name="ct">Cancels between cross-encoder batches.</param>
    public static List<ShownHit> Search(Func<string, int, IReadOnlyList<SearchHit>> firstStage, RerankingSearcher reranker, string query, int top, CancellationToken ct = default) =>
        SearchAsync(firstStage, reranker, (q, window) => Task.FromResult(reranker.Rerank(q, window, ct)), query, top).GetAwaiter().GetResult();

    /// <summary>As <see cref="Search"/>, with the window reranked by <paramref name="rerank"/> (e.g. through the service's dynamic batcher).</summary>
    /// <param name="firstStage">The first stage: (query, k) to its top k hits.</param>
    /// <param name="reranker">Gives the window size.</param>
    /// <param name="rerank">(query, window) to the window reranked, best first.</param>
    /// <param name="query">The query.</param>
    /// <param name="top">Hits to return.</param>
    public static async Task<List<ShownHit>> SearchAsync(Func<string, int, IReadOnlyList<SearchHit>> firstStage, RerankingSearcher reranker,
        Func<string, IReadOnlyList<SearchHit>, Task<IReadOnlyList<RerankedHit>>> rerank, string query, int top)
    {
        var window = reranker.Options.Candidates;
        var hits = firstStage(query, Math.Max(window, top));
        var shown = (await rerank(query, hits.Take(window).ToList())).Take(top)
            .Select(h => new ShownHit(h.Rank, h.DocId, h.Score, h.FirstStageRank, h.FirstStageScore, h.CrossEncoderScore, h.Title, h.Text))
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
        $"Note: --candidates {window} is below {shown ?? $"--top {top}"}: the first stage's top {window} are reranked and hits " +
        $"{window + 1} to {top} follow in first-stage order with their first-stage scores (as Elasticsearch's rescore window_size). " +
        $"Raise --candidates to {top} or more to rerank every hit shown.";
}
