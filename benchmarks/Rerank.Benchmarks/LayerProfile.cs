using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Benchmarks;

/// <summary>
/// Where a MiniLM forward's time goes: the library's modules are internal, so this replays the same
/// libtorch calls they make (Embedding lookups + LayerNorm; per layer three Linear projections, fused
/// scaled_dot_product_attention with a boolean key mask, output Linear + residual + LayerNorm, FFN
/// Linear + exact GELU, Linear + residual + LayerNorm) on random tensors of the model's shapes, and
/// times each part on its own. Parts are interleaved round by round like the main measurement.
/// </summary>
internal static class LayerProfile
{
    private const int H = MiniLmFlops.Hidden;

    /// <summary>One part: its name, its time per batch for all layers, and its matmul FLOPs.</summary>
    public sealed record Part(string Name, double Milliseconds, double Flops);

    /// <param name="whole">The whole forward (e.g. <c>CrossEncoder.Predict</c> on one batch of this shape), timed in the
    /// same rounds as the parts and returned last, as one run per forward.</param>
    public static IReadOnlyList<Part> Run(int batch, int length, ScalarType dtype, int rounds, double minSampleSeconds, long seed, Contender whole)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(seed);
        Tensor W(long rows, long cols) => (randn(rows, cols) * 0.02).to(dtype);
        Tensor B(long n) => zeros(n).to(dtype);

        var tokens = (double)batch * length;
        var ids = randint(1000, 30000, [batch, length], dtype: ScalarType.Int64);
        var types = zeros([batch, length], dtype: ScalarType.Int64);
        var positions = arange(length, dtype: ScalarType.Int64).unsqueeze(0);
        var wordTable = W(30522, H);
        var positionTable = W(512, H);
        var typeTable = W(2, H);
        var lnWeight = ones(H).to(dtype);
        var lnBias = B(H);
        var wq = W(H, H); var wk = W(H, H); var wv = W(H, H); var wo = W(H, H);
        var bq = B(H); var bk = B(H); var bv = B(H); var bo = B(H);
        var wi = W(4 * H, H); var bi = B(4 * H);
        var wd = W(H, 4 * H); var bd = B(H);
        // A realistic mask: the last eighth of each row is padding.
        var mask = ones([batch, length], dtype: ScalarType.Bool);
        mask[TensorIndex.Colon, TensorIndex.Slice(length - length / 8)] = tensor(false);
        var keyMask = mask.view(batch, 1, 1, length);
        var hidden = (randn(batch, length, H)).to(dtype);
        var intermediate = (randn(batch, length, 4 * H)).to(dtype);
        long[] norm = [H];
        Tensor Heads(Tensor x) => x.view(batch, length, 12, H / 12).transpose(1, 2);

        var parts = new (string Name, int PerForward, double Flops, Action Run)[]
        {
            ("embeddings (3 lookups + LayerNorm)", 1, 0, () =>
            {
                using var s = NewDisposeScope();
                var e = wordTable.index_select(0, ids.flatten()).view(batch, length, H)
                        + typeTable.index_select(0, types.flatten()).view(batch, length, H)
                        + positionTable.index_select(0, positions.flatten()).view(1, length, H);
                nn.functional.layer_norm(e, norm, lnWeight, lnBias, 1e-12);
            }),
            ("Q, K, V projections", MiniLmFlops.Layers, 3 * 2 * tokens * H * H, () =>
            {
                using var s = NewDisposeScope();
                nn.functional.linear(hidden, wq, bq); nn.functional.linear(hidden, wk, bk); nn.functional.linear(hidden, wv, bv);
            }),
            ("attention (SDPA, masked)", MiniLmFlops.Layers, batch * MiniLmFlops.AttentionLayer(length), () =>
            {
                using var s = NewDisposeScope();
                var q = Heads(hidden); var k = Heads(hidden); var v = Heads(hidden);
                var c = nn.functional.scaled_dot_product_attention(q, k, v, keyMask, 0.0, false);
                c.transpose(1, 2).reshape(batch, length, H);
            }),
            ("output projection + residual + LayerNorm", MiniLmFlops.Layers, 2 * tokens * H * H, () =>
            {
                using var s = NewDisposeScope();
                nn.functional.layer_norm(nn.functional.linear(hidden, wo, bo) + hidden, norm, lnWeight, lnBias, 1e-12);
            }),
            ("FFN up (Linear H->4H)", MiniLmFlops.Layers, 2 * tokens * H * 4 * H, () =>
            {
                using var s = NewDisposeScope();
                nn.functional.linear(hidden, wi, bi);
            }),
            ("GELU (exact) on [B, L, 4H]", MiniLmFlops.Layers, 0, () =>
            {
                using var s = NewDisposeScope();
                nn.functional.gelu(intermediate);
            }),
            ("FFN down (Linear 4H->H) + residual + LayerNorm", MiniLmFlops.Layers, 2 * tokens * 4 * H * H, () =>
            {
                using var s = NewDisposeScope();
                nn.functional.layer_norm(nn.functional.linear(intermediate, wd, bd) + hidden, norm, lnWeight, lnBias, 1e-12);
            }),
        };

        var contenders = parts.Select(p => new Contender(p.Name, 1, p.Run)).Append(whole with { WorkPerRun = 1 }).ToList();
        var result = Interleaved.Run(contenders, rounds, minSampleSeconds);
        // Rate is runs per second; a forward runs each part PerForward times.
        return parts.Select(p => new Part(p.Name, p.PerForward * 1000.0 / result.Median(p.Name), p.PerForward * p.Flops))
            .Append(new Part(whole.Name, 1000.0 / result.Median(whole.Name), MiniLmFlops.PerPair(length) * batch))
            .ToList();
    }
}
