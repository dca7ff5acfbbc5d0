using Rerank.Lucene.Reranking;
using static TorchSharp.torch;

namespace Rerank.Benchmarks;

/// <summary>The profile table: each part of a forward at one shape, fp32 and bf16, against the whole forward.</summary>
internal static class LayerProfileSection
{
    public const int Length = 256;
    public const int Batch = 16;

    public static void Run(Report report, BenchmarkOptions options, ScifactSample sample, Rerank.Lucene.Tokenization.BertPairEncoder tokenizer,
        CrossEncoder fp32, CrossEncoder bf16)
    {
        Report.Progress($"Profile at L={Length} batch={Batch}");
        var pairs = ExactLengthPairs.Build(tokenizer, sample, Length, Batch);
        const string whole = "whole forward: CrossEncoder.Predict";
        var f = LayerProfile.Run(Batch, Length, ScalarType.Float32, options.Rounds, options.MinSampleSeconds / 2, options.Seed,
            new Contender(whole, Batch, () => fp32.Predict(pairs)));
        var b = LayerProfile.Run(Batch, Length, ScalarType.BFloat16, options.Rounds, options.MinSampleSeconds / 2, options.Seed,
            new Contender(whole, Batch, () => bf16.Predict(pairs)));

        var partsFp32 = f.Take(f.Count - 1).Sum(p => p.Milliseconds);
        var partsBf16 = b.Take(b.Count - 1).Sum(p => p.Milliseconds);
        var wholeFp32 = f[^1].Milliseconds;
        var wholeBf16 = b[^1].Milliseconds;
        string Rate(LayerProfile.Part p) => p.Flops > 0 ? Report.F(p.Flops / (p.Milliseconds * 1e6), 0) : "-";

        report.Line($"### Where the time goes (L={Length}, batch {Batch}; ms per batch, all 6 layers; median of {options.Rounds} interleaved rounds)");
        report.Line();
        var rows = f.Zip(b, (x, y) => (IReadOnlyList<string>)
        [
            x.Name, Report.F(x.Milliseconds, 1), Report.F(100 * x.Milliseconds / wholeFp32, 0) + "%", Rate(x),
            Report.F(y.Milliseconds, 1), Report.F(100 * y.Milliseconds / wholeBf16, 0) + "%", Rate(y),
            Report.F(x.Milliseconds / y.Milliseconds, 2) + "x",
        ]).ToList();
        rows.Insert(rows.Count - 1,
        [
            "sum of the parts", Report.F(partsFp32, 1), Report.F(100 * partsFp32 / wholeFp32, 0) + "%", "-",
            Report.F(partsBf16, 1), Report.F(100 * partsBf16 / wholeBf16, 0) + "%", "-", Report.F(partsFp32 / partsBf16, 2) + "x",
        ]);
        report.Table(["part", "fp32 ms", "fp32 share", "fp32 GFLOP/s", "bf16 ms", "bf16 share", "bf16 GFLOP/s", "bf16 speed-up"], rows);
        report.Line("Parts replay the library's libtorch calls on random tensors of the same shapes (the modules are internal); "
                    + "shares are of the whole forward, which also includes tokenization, the pooler, the head and tensor copies.");
        report.Line();
    }
}
