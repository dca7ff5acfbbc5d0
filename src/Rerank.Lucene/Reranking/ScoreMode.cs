namespace Rerank.Lucene.Reranking;

/// <summary>How the final score of a reranked candidate is formed.</summary>
public enum ScoreMode
{
    /// <summary>The cross-encoder score alone (default; as BEIR's BM25+CE runs).</summary>
    Replace,

    /// <summary>
    /// w * minmax(cross-encoder) + (1 - w) * minmax(BM25) over the candidates of the query, where minmax
    /// maps the query's lowest score to 0 and its highest to 1 (all equal: 0). w is the interpolation weight.
    /// </summary>
    Interpolate,
}
