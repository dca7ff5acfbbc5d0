namespace Rerank.Lucene.Retrieval;

/// <summary>
/// A first stage: query text in, ranked documents out. <see cref="Bm25Searcher"/>,
/// <see cref="DenseSearcher"/> and <see cref="HybridSearcher"/> implement it, so a
/// <see cref="Reranking.RerankingSearcher"/> and the evaluation can use any of them.
/// </summary>
/// <remarks>
/// Implementations rank by score descending and break equal scores as <see cref="RankingOrder"/> does
/// (document id descending, trec_eval's rule), so a ranking never depends on the order documents were indexed in. Scores are the
/// stage's own (BM25, inner product, fused); only their order is comparable across stages.
/// </remarks>
public interface ICandidateRetriever
{
    /// <summary>"bm25", "dense" or "hybrid": what evaluations and run files call this stage.</summary>
    string Name { get; }

    /// <summary>The top <paramref name="k"/> documents with their stored title and text (what a reranker reads).</summary>
    /// <param name="query">Query text; any characters.</param>
    /// <param name="k">How many at most (&gt;= 1).</param>
    /// <exception cref="InvalidInputException">The query is empty or whitespace.</exception>
    IReadOnlyList<SearchHit> Search(string query, int k);

    /// <summary>The same ranking as <see cref="Search"/>, ids and scores only (cheaper for deep evaluation runs).</summary>
    /// <inheritdoc cref="Search" path="/param"/>
    /// <exception cref="InvalidInputException">The query is empty or whitespace.</exception>
    IReadOnlyList<RankedDocument> Rank(string query, int k);
}
