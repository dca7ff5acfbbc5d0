using static TorchSharp.torch;

namespace Rerank.Benchmarks;

/// <summary>
/// Every matrix multiply of one MiniLM-L6 cross-encoder training step (forward and backward) for
/// <c>pairs</c> pairs of <c>length</c> tokens, with its shape, so that the same list both counts the
/// step's FLOPs and times libtorch on exactly those shapes (the arithmetic ceiling).
/// </summary>
/// <remarks>
/// A Linear layer y = x W^T + b over T = pairs x length tokens (in -> out) costs three GEMMs, each of
/// 2 T in out FLOPs (2 per multiply-add): forward y = x W^T, backward dx = dy W and dW = dy^T x (every
/// layer needs dx, since the embeddings are trained too). Per encoder layer: query, key, value and
/// attention output (384 -> 384), FFN up (384 -> 1536) and down (1536 -> 384). Attention per layer
/// and pair, batched over 12 heads of size 32: forward S = Q K^T and C = P V, backward dP = dC V^T,
/// dV = P^T dC, dQ = dS K, dK = dS^T Q, each 2 L^2 32 FLOPs per head. The pooler (384 -> 384 on the
/// [CLS] token) and the classifier (384 -> 1) follow the Linear rule with T = pairs. This is the
/// usual "forward 2N FLOPs per token per weight, backward 4N" count (Kaplan et al. 2020, "Scaling Laws
/// for Neural Language Models", section 2.1) plus attention, made exact for these shapes. Embedding
/// lookups, LayerNorm, GELU, softmax, dropout, the loss and AdamW do no matrix multiplies and are not
/// counted. At L = 128: 8.608 GFLOP per pair (linears 8.154, attention 0.453, pooler + classifier 0.001).
/// </remarks>
internal static class TrainingGemms
{
    private const int Hidden = 384;
    private const int Intermediate = 1536;
    private const int Heads = 12;
    private const int HeadSize = Hidden / Heads;
    private const int Layers = 6;

    /// <summary>One GEMM shape: <paramref name="Count"/> times (or batched) [M, K] x [K, N].</summary>
    public sealed record Gemm(string Part, long Batch, long M, long K, long N, int Count)
    {
        public double Flops => 2.0 * Batch * M * K * N * Count;
    }

    /// <summary>All GEMMs of one fwd+bwd step, grouped by shape.</summary>
    public static IReadOnlyList<Gemm> Step(int pairs, int length)
    {
        long t = (long)pairs * length;
        var list = new List<Gemm>();
        void Linear(string part, long tokens, long input, long output, int count)
        {
            list.Add(new Gemm(part + " fwd", 1, tokens, input, output, count));
            list.Add(new Gemm(part + " bwd dx", 1, tokens, output, input, count));
            list.Add(new Gemm(part + " bwd dW", 1, output, tokens, input, count));
        }
        Linear("QKV+O 384->384", t, Hidden, Hidden, 4 * Layers);
        Linear("FFN up 384->1536", t, Hidden, Intermediate, Layers);
        Linear("FFN down 1536->384", t, Intermediate, Hidden, Layers);
        long bh = (long)pairs * Heads;
        // [L, d] x [d, L] (scores, dP) and [L, L] x [L, d] (context, dV, dQ, dK).
        list.Add(new Gemm("attention QK^T, dP", bh, length, HeadSize, length, 2 * Layers));
        list.Add(new Gemm("attention PV, dV, dQ, dK", bh, length, length, HeadSize, 4 * Layers));
        Linear("pooler 384->384", pairs, Hidden, Hidden, 1);
        Linear("classifier 384->1", pairs, Hidden, 1, 1);
        return list;
    }

    /// <summary>FLOPs of one fwd+bwd step.</summary>
    public static double StepFlops(int pairs, int length) => Step(pairs, length).Sum(g => g.Flops);

    /// <summary>
    /// Pre-allocated fp32 operands and outputs for <paramref name="gemms"/>, and an action that runs every
    /// GEMM: the 2-D ones in place into their output (<c>addmm_</c> with beta 0, no allocation timed), the
    /// batched attention ones with <c>bmm</c> (TorchSharp has no in-place form, so their result is allocated). Transposed operands are views, as autograd passes them to the BLAS. The tensors belong to
    /// the caller's dispose scope.
    /// </summary>
    public static Action Runner(IReadOnlyList<Gemm> gemms, long seed)
    {
        manual_seed(seed);
        var runs = new List<Action>();
        foreach (var g in gemms)
        {
            if (g.Batch == 1)
            {
                var a = randn(g.M, g.K);
                var b = randn(g.N, g.K).t(); // [K, N] as a transposed view, like W^T
                var c = empty(g.M, g.N);
                runs.Add(() => { for (var i = 0; i < g.Count; i++) c.addmm_(a, b, beta: 0, alpha: 1); });
            }
            else
            {
                var a = randn(g.Batch, g.M, g.K);
                var b = randn(g.Batch, g.N, g.K).transpose(1, 2);
                // TorchSharp has no in-place batched product: bmm allocates its [batch, M, N] result, as the attention does in training.
                runs.Add(() => { for (var i = 0; i < g.Count; i++) a.bmm(b).Dispose(); });
            }
        }
        return () => { foreach (var r in runs) r(); };
    }
}
