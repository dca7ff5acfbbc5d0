using static TorchSharp.torch;

namespace Rerank.Lucene.Embedding;

/// <summary>
/// Pooling and normalisation of sentence embeddings, as sentence-transformers' <c>Pooling</c> and
/// <c>Normalize</c> modules compute them. Tensor in, tensor out; no state.
/// </summary>
internal static class SentencePooling
{
    /// <summary>
    /// One vector per row: <paramref name="hidden"/> [B, L, H] (float), <paramref name="attentionMask"/>
    /// [B, L] (1 = token, 0 = padding) to [B, H]. Mean: sum_t(h_t m_t) / max(sum_t m_t, 1e-9), so
    /// values at padding positions never matter. Cls: h_0.
    /// </summary>
    public static Tensor Pool(Tensor hidden, Tensor attentionMask, PoolingMode mode)
    {
        if (mode == PoolingMode.Cls) return hidden.select(1, 0);
        var mask = attentionMask.unsqueeze(-1).to(hidden.dtype); // [B, L, 1]
        var sum = (hidden * mask).sum(1);                         // [B, H]
        var count = mask.sum(1).clamp_min(1e-9);                  // [B, 1]
        return sum / count;
    }

    /// <summary>
    /// Rows divided by their L2 norm, x / max(||x||_2, 1e-12), as <c>torch.nn.functional.normalize</c>
    /// (p = 2, dim = 1), which sentence-transformers' <c>Normalize</c> module calls.
    /// </summary>
    public static Tensor L2Normalize(Tensor vectors) =>
        vectors / vectors.norm(1, keepdim: true, p: 2).clamp_min(1e-12);
}
