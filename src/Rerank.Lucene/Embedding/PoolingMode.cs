namespace Rerank.Lucene.Embedding;

/// <summary>
/// How a <see cref="BiEncoder"/> turns the last hidden state [B, L, H] into one vector per text,
/// as sentence-transformers' <c>Pooling</c> module (<c>1_Pooling/config.json</c>) names it.
/// </summary>
public enum PoolingMode
{
    /// <summary>
    /// <c>pooling_mode_mean_tokens</c>: the mean of the token vectors over the attention mask,
    /// sum_t(h_t * m_t) / max(sum_t m_t, 1e-9) (sentence-transformers' <c>Pooling.forward</c>);
    /// padding positions do not count. all-MiniLM-L6-v2 uses it.
    /// </summary>
    Mean,

    /// <summary><c>pooling_mode_cls_token</c>: the vector of the first token (<c>[CLS]</c>).</summary>
    Cls,
}

/// <summary>Spelling of <see cref="PoolingMode"/> in manifests and messages.</summary>
public static class PoolingModes
{
    /// <summary>"mean" or "cls".</summary>
    public static string Name(PoolingMode mode) => mode == PoolingMode.Cls ? "cls" : "mean";
}
