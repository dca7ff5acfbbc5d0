using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tokenization;

namespace Rerank.Benchmarks;

/// <summary>
/// Issue 15, goal 1: the library's default CPU path (<see cref="CrossEncoderOptions"/> defaults, engine and
/// precision chosen at load time) and each ONNX Runtime precision of our exported graph, against ONNX
/// Runtime fp32 on the package's original ONNX bytes, at each (length, batch) of the grid: same exact-length
/// pairs, interleaved rounds, ratios per round. Then score agreement with the fp32 reference on real SciFact
/// pairs, for the benchmark model and for a trained reranker.
/// </summary>
internal static class EnginesBenchmark
{
    private const string Original = "ORT fp32 (original ONNX)";
    private const string Default = "default (auto)";
    private const string OursFp32 = "ours ORT fp32";
    private const string OursInt8 = "ours ORT int8";
    private const string TorchBf16 = "TorchSharp bf16";

    public static void Run(Report report, BenchmarkOptions options, ScifactSample sample, BertPairEncoder tokenizer,
        BenchmarkModelFolder folder, OnnxCrossEncoder onnx)
    {
        var maxBatch = options.Batches.Max();
        CrossEncoder Load(string path, InferenceEngine engine, Precision precision, int? maxLength = 512) => CrossEncoder.Load(path, new CrossEncoderOptions
        {
            BatchSize = maxBatch, MaxLength = maxLength, Device = "cpu", Engine = engine, Precision = precision, Threads = options.Threads,
        });

        using var auto = Load(folder.Path, InferenceEngine.Auto, Precision.Auto);
        using var fp32 = Load(folder.Path, InferenceEngine.OnnxRuntime, Precision.Fp32);
        using var int8 = Load(folder.Path, InferenceEngine.OnnxRuntime, Precision.Int8);
        using var bf16 = options.WithBf16 ? Load(folder.Path, InferenceEngine.TorchSharp, Precision.Bf16) : null;
        report.Line($"## Engines (issue 15, goal 1): default = {auto.EngineDescription}");
        report.Line();

        var parityPairs = sample.Pairs().Take(32).ToList();
        var reference = onnx.Predict(tokenizer, parityPairs, 512, 16);
        var oursFp32 = fp32.Predict(parityPairs);
        var oursInt8 = int8.Predict(parityPairs);
        var fp32Diff = MaxDiff(reference, oursFp32);
        report.Line($"Parity on {parityPairs.Count} SciFact pairs (real lengths, sorted batches of 16, benchmark model): max |ours ORT fp32 - original ORT fp32| = {Report.E(fp32Diff)}, "
                    + $"max |ours int8 - original| = {Report.E(MaxDiff(reference, oursInt8))} (logit range {Report.F(reference.Max() - reference.Min(), 3)}).");
        report.Line();
        if (fp32Diff > 1e-3) throw new InvalidOperationException($"Our fp32 graph and the original ONNX disagree by {fp32Diff}: the export is wrong.");

        var defaultIsInt8 = auto.Precision == Precision.Int8;
        var rows = new List<IReadOnlyList<string>>();
        var goals = new List<string>();
        foreach (var length in options.Lengths)
        {
            var allPairs = ExactLengthPairs.Build(tokenizer, sample, length, maxBatch);
            foreach (var batch in options.Batches)
            {
                if (length == 512 && batch == 64 && options.Skip512x64) continue;
                Report.Progress($"engines L={length} batch={batch}: {options.Rounds} interleaved rounds");
                var pairs = allPairs.Take(batch).ToList();
                var contenders = new List<Contender>
                {
                    new(Original, batch, () => onnx.Predict(tokenizer, pairs, 512, batch)),
                    new(Default, batch, () => auto.Predict(pairs)),
                    // The default is one of the two ONNX Runtime arms; time the other one as well.
                    defaultIsInt8 ? new(OursFp32, batch, () => fp32.Predict(pairs)) : new(OursInt8, batch, () => int8.Predict(pairs)),
                };
                if (bf16 is not null) contenders.Add(new(TorchBf16, batch, () => bf16.Predict(pairs)));
                var r = Interleaved.Run(contenders, options.Rounds, options.MinSampleSeconds);
                var other = defaultIsInt8 ? OursFp32 : OursInt8;
                var ratio = r.MedianRatio(Default, Original);
                rows.Add([
                    length.ToString(), batch.ToString(), Report.F(r.Median(Original), 1), Report.F(r.Median(Default), 1), Report.F(r.Median(other), 1),
                    bf16 is null ? "-" : Report.F(r.Median(TorchBf16), 1),
                    Report.F(ratio, 2) + "x", Report.F(r.MedianRatio(other, Original), 2) + "x",
                    bf16 is null ? "-" : Report.F(r.MedianRatio(TorchBf16, Original), 2) + "x",
                    Report.F(r.Best(Default) / r.Best(Original), 2) + "x",
                    $"{Report.F(100 * r.Spread(Original), 0)} / {Report.F(100 * r.Spread(Default), 0)} / {Report.F(100 * r.Spread(other), 0)}",
                ]);
                if (batch == 16) goals.Add($"L={length}: {Report.F(ratio, 2)}x " + (ratio >= 2.0 ? "(met)" : "(MISSED)"));
            }
        }

        var otherLabel = defaultIsInt8 ? "ours ORT fp32" : "ours ORT int8";
        report.Line($"### Pairs/s, default CPU path vs ONNX Runtime fp32 (median of {options.Rounds} interleaved rounds)");
        report.Line();
        report.Table(
            ["L", "batch", "ORT fp32 (original)", $"default ({InferenceEngineSelection.Name(auto.Engine)} {InferenceEngineSelection.Name(auto.Precision)})", otherLabel,
                "TS bf16", "default / ORT", $"{otherLabel} / ORT", "TS bf16 / ORT", "best-round default / ORT", "spread % ORT/default/other"],
            rows);
        report.Line("Ratios are medians of per-round ratios (same round, same load). Same exact-length pairs, from strings, for every arm.");
        report.Line();
        if (goals.Count > 0) report.Line($"**Goal 1 (default >= 2.0x ORT fp32 at batch 16): {string.Join("; ", goals)}.**");
        report.Line();

        Agreement(report, "benchmark model (bundled MiniLM-L6 + random head)", sample, reference: onnx.Predict(tokenizer, sample.Pairs(), 512, 16),
            fp32.Predict(sample.Pairs()), int8.Predict(sample.Pairs()));
        var trained = options.Model ?? Path.Combine(RepoRoot(), "models", "default-reranker");
        using var trainedTorch = Load(trained, InferenceEngine.TorchSharp, Precision.Fp32, null);
        using var trainedFp32 = Load(trained, InferenceEngine.OnnxRuntime, Precision.Fp32, null);
        using var trainedInt8 = Load(trained, InferenceEngine.OnnxRuntime, Precision.Int8, null);
        Agreement(report, $"trained reranker {trained} (max length {trainedTorch.MaxLength}; reference TorchSharp fp32)", sample,
            reference: trainedTorch.Predict(sample.Pairs()), trainedFp32.Predict(sample.Pairs()), trainedInt8.Predict(sample.Pairs()));
    }

    private static void Agreement(Report report, string model, ScifactSample sample, float[] reference, float[] fp32, float[] int8)
    {
        report.Line($"### Agreement with fp32 on {reference.Length} SciFact pairs ({sample.Queries.Count} queries): {model}");
        report.Line();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, scores) in new[] { ("ours ORT fp32", fp32), ("ours ORT int8", int8) })
        {
            var (sameTop10, sameTop1) = RankAgreement(sample, reference, scores);
            rows.Add([name, Report.E(MaxDiff(reference, scores)), Report.F(Cosine(reference, scores), 6), Report.F(Pearson(reference, scores), 6),
                $"{sameTop10}/{sample.Queries.Count}", $"{sameTop1}/{sample.Queries.Count}"]);
        }
        report.Table(["engine", "max abs diff", "cosine", "Pearson", "identical top-10 order", "same top-1"], rows);
        report.Line();
    }

    private static (int SameTop10, int SameTop1) RankAgreement(ScifactSample sample, float[] a, float[] b)
    {
        int sameTop10 = 0, sameTop1 = 0, offset = 0;
        foreach (var q in sample.Queries)
        {
            var n = q.Documents.Count;
            var ra = Enumerable.Range(0, n).OrderByDescending(i => a[offset + i]).ThenBy(i => i).Take(10).ToList();
            var rb = Enumerable.Range(0, n).OrderByDescending(i => b[offset + i]).ThenBy(i => i).Take(10).ToList();
            if (ra.SequenceEqual(rb)) sameTop10++;
            if (ra[0] == rb[0]) sameTop1++;
            offset += n;
        }
        return (sameTop10, sameTop1);
    }

    private static double MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    private static double Cosine(float[] a, float[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            ab += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        return ab / Math.Sqrt(aa * bb);
    }

    private static double Pearson(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average(), ab = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }
        return ab / Math.Sqrt(aa * bb);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SearchRerank.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("SearchRerank.sln not found above the benchmark's folder; pass --model DIR.");
    }
}
