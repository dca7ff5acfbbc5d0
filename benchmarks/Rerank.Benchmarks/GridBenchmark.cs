using System.Diagnostics;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tokenization;
using static TorchSharp.torch;

namespace Rerank.Benchmarks;

/// <summary>
/// Pairs/s at each (length, batch): ONNX Runtime fp32, TorchSharp fp32 and bf16 (<see cref="CrossEncoder.Predict(IReadOnlyList{ValueTuple{string, string}})"/>),
/// and the 1024^3 matmul rate in fp32 and bf16, all interleaved in the same rounds. Every engine starts
/// from the same strings and tokenizes them with the same <see cref="BertPairEncoder"/>; the batch is
/// one forward of exactly-L-token pairs (no padding).
/// </summary>
internal static class GridBenchmark
{
    private const string Ort = "ORT fp32";
    private const string Fp32 = "TorchSharp fp32";
    private const string Bf16 = "TorchSharp bf16";
    private const string MatmulFp32 = "matmul fp32";
    private const string MatmulBf16 = "matmul bf16";
    private const int MatmulSize = 1024;

    public static void Run(Report report, BenchmarkOptions options, ScifactSample sample, BertPairEncoder tokenizer,
        CrossEncoder fp32, CrossEncoder bf16, OnnxCrossEncoder onnx)
    {
        CheckParity(report, sample, tokenizer, fp32, bf16, onnx);

        using var scope = NewDisposeScope();
        manual_seed(options.Seed);
        var a32 = randn(MatmulSize, MatmulSize);
        var b32 = randn(MatmulSize, MatmulSize);
        var a16 = a32.to(ScalarType.BFloat16);
        var b16 = b32.to(ScalarType.BFloat16);
        const double matmulGflop = 2.0 * MatmulSize * MatmulSize * MatmulSize / 1e9;

        var speedRows = new List<IReadOnlyList<string>>();
        var ceilingRows = new List<IReadOnlyList<string>>();
        var goal = "";
        foreach (var length in options.Lengths)
        {
            var allPairs = ExactLengthPairs.Build(tokenizer, sample, length, options.Batches.Max());
            foreach (var batch in options.Batches)
            {
                if (length == 512 && batch == 64 && options.Skip512x64) continue;
                Report.Progress($"L={length} batch={batch}: {options.Rounds} interleaved rounds");
                var pairs = allPairs.Take(batch).ToList();
                var contenders = new List<Contender>
                {
                    new(Ort, batch, () => onnx.Predict(tokenizer, pairs, 512, batch)),
                    new(Fp32, batch, () => fp32.Predict(pairs)),
                    new(Bf16, batch, () => bf16.Predict(pairs)),
                    new(MatmulFp32, matmulGflop, () => { using var c = a32.matmul(b32); }),
                    new(MatmulBf16, matmulGflop, () => { using var c = a16.matmul(b16); }),
                };
                var r = Interleaved.Run(contenders, options.Rounds, options.MinSampleSeconds);
                var tokenizeMs = TokenizeMilliseconds(tokenizer, pairs);

                var fp32Ratio = r.MedianRatio(Fp32, Ort);
                var bf16Ratio = r.MedianRatio(Bf16, Ort);
                speedRows.Add([
                    length.ToString(), batch.ToString(), Report.F(r.Median(Ort), 1), Report.F(r.Median(Fp32), 1), Report.F(r.Median(Bf16), 1),
                    Report.F(fp32Ratio, 2) + "x", Report.F(bf16Ratio, 2) + "x",
                    $"{Report.F(r.Best(Fp32) / r.Best(Ort), 2)}x / {Report.F(r.Best(Bf16) / r.Best(Ort), 2)}x",
                    $"{Report.F(100 * r.Spread(Ort), 0)} / {Report.F(100 * r.Spread(Fp32), 0)} / {Report.F(100 * r.Spread(Bf16), 0)}",
                    Report.F(tokenizeMs, 3),
                ]);

                var gflopPerPair = MiniLmFlops.PerPair(length) / 1e9;
                // Share of the ceiling per round: (pairs/s) / (GFLOP/s / GFLOP per pair).
                double Share(string engine, string matmul) => r.MedianRatio(engine, matmul) * gflopPerPair;
                ceilingRows.Add([
                    length.ToString(), batch.ToString(), Report.F(gflopPerPair, 2),
                    Report.F(r.Median(MatmulFp32), 0), Report.F(r.Median(MatmulFp32) / gflopPerPair, 1),
                    Report.F(100 * Share(Ort, MatmulFp32), 0) + "%", Report.F(100 * Share(Fp32, MatmulFp32), 0) + "%",
                    Report.F(r.Median(MatmulBf16), 0), Report.F(r.Median(MatmulBf16) / gflopPerPair, 1),
                    Report.F(100 * Share(Bf16, MatmulBf16), 0) + "%",
                ]);

                if (length == 256 && batch == 16)
                {
                    goal = $"Goals at L=256, batch 16 (vs ONNX Runtime fp32): fp32 {Report.F(fp32Ratio, 2)}x (goal >= 1.0x: "
                           + (fp32Ratio >= 1.0 ? "met" : "MISSED") + $"), bf16 {Report.F(bf16Ratio, 2)}x (goal >= 1.8x: "
                           + (bf16Ratio >= 1.8 ? "met" : "MISSED") + ").";
                }
            }
        }

        report.Line($"### Pairs/s by length and batch (median of {options.Rounds} interleaved rounds)");
        report.Line();
        report.Table(
            ["L", "batch", "ORT fp32", "TS fp32", "TS bf16", "TS fp32 / ORT", "TS bf16 / ORT", "best-round ratios fp32 / bf16", "spread % ORT/fp32/bf16", "tokenize ms/pair"],
            speedRows);
        if (options.Skip512x64 && options.Lengths.Contains(512) && options.Batches.Contains(64)) report.Line("L=512 batch 64 skipped (--skip-512x64).");
        report.Line("Pairs/s are medians over rounds; ratios are medians of per-round ratios (same round, same load); best-round ratios divide "
                    + "each engine's best round (least disturbed by other jobs). Spread = (max - min) / median of the per-round rates.");
        report.Line("All engines start from strings; \"tokenize ms/pair\" is the tokenizer's share, included in every engine's time.");
        report.Line();
        if (goal.Length > 0) report.Line("**" + goal + "**");
        report.Line();

        report.Line($"### Arithmetic ceiling ({MatmulSize}x{MatmulSize} @ {MatmulSize}x{MatmulSize} torch.matmul, timed in the same rounds)");
        report.Line();
        report.Table(
            ["L", "batch", "GFLOP/pair", "matmul fp32 GFLOP/s", "ceiling fp32 pairs/s", "ORT share", "TS fp32 share",
                "matmul bf16 GFLOP/s", "ceiling bf16 pairs/s", "TS bf16 share"],
            ceilingRows);
    }

    // Encoder outputs of the same strings must agree: this proves both engines got identical inputs and weights.
    private static void CheckParity(Report report, ScifactSample sample, BertPairEncoder tokenizer, CrossEncoder fp32, CrossEncoder bf16, OnnxCrossEncoder onnx)
    {
        var pairs = sample.Pairs().Take(32).ToList();
        var ort = onnx.Predict(tokenizer, pairs, 512, 16);
        var ts = fp32.Predict(pairs);
        var tsBf16 = bf16.Predict(pairs);
        var diff = ort.Zip(ts, (a, b) => Math.Abs(a - b)).Max();
        var diffBf16 = ort.Zip(tsBf16, (a, b) => Math.Abs(a - b)).Max();
        var range = ort.Max() - ort.Min();
        report.Line($"Parity on {pairs.Count} SciFact pairs (real lengths, sorted batches of 16): max |logit TS fp32 - ORT fp32| = {Report.E(diff)}, "
                    + $"max |TS bf16 - ORT fp32| = {Report.E(diffBf16)} (logit range {Report.F(range, 3)}).");
        report.Line();
        if (diff > 1e-3) throw new InvalidOperationException($"TorchSharp fp32 and ONNX Runtime disagree by {diff}: inputs or weights differ.");
    }

    private static double TokenizeMilliseconds(BertPairEncoder tokenizer, IReadOnlyList<(string Query, string Document)> pairs)
    {
        var samples = new double[5];
        for (var s = 0; s < samples.Length; s++)
        {
            var clock = Stopwatch.StartNew();
            var encodings = pairs.Select(p => tokenizer.Encode(p.Query, p.Document, 512)).ToList();
            tokenizer.Pad(encodings);
            samples[s] = clock.Elapsed.TotalMilliseconds / pairs.Count;
        }
        return Stats.Median(samples);
    }
}
