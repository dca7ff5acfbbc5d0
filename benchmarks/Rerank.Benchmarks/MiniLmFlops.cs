namespace Rerank.Benchmarks;

/// <summary>
/// Matrix-multiply FLOPs of one MiniLM-L6 forward (hidden H = 384, 6 layers, FFN 4H), counting
/// 2 FLOPs per multiply-add. Per layer, for a pair of L tokens:
/// Q, K, V projections 3 * 2LH^2; attention scores QK^T and context PV 2 * 2L^2H (all heads
/// together); output projection 2LH^2; FFN up and down 2 * 2LH(4H). Embeddings, LayerNorm,
/// softmax, GELU and the pooler are left out (under 1%).
/// Worked example, L = 256: 24 * 256 * 384^2 + 4 * 256^2 * 384 = 0.906e9 + 0.101e9 = 1.007e9 per
/// layer, 6.04 GFLOP per pair.
/// </summary>
internal static class MiniLmFlops
{
    public const int Hidden = 384;
    public const int Layers = 6;

    /// <summary>FLOPs of the projections and FFN of one layer for <paramref name="tokens"/> tokens.</summary>
    public static double DenseLayer(double tokens) => (3 * 2 + 2 + 2 * 2 * 4) * tokens * Hidden * Hidden;

    /// <summary>FLOPs of attention scores and context of one layer for one sequence of <paramref name="length"/>.</summary>
    public static double AttentionLayer(double length) => 2 * 2 * length * length * Hidden;

    /// <summary>FLOPs of one pair of <paramref name="length"/> tokens through all layers.</summary>
    public static double PerPair(int length) => Layers * (DenseLayer(length) + AttentionLayer(length));
}
