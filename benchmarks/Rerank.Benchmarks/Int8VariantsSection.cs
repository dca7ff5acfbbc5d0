using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tokenization;

namespace Rerank.Benchmarks;

/// <summary>
/// Which linears to quantize, and how (per tensor, per token, MatMulNBits blocks): for each choice, speed against ONNX Runtime fp32 on the original ONNX (benchmark
/// model, exact-length pairs, interleaved) and agreement with TorchSharp fp32 on real SciFact pairs with the trained reranker.
/// </summary>
internal static class Int8VariantsSection
{
    private static readonly (string Name, Int8Linears Linears, bool SkipLayerNorm)[] Variants =
    [
        ("fp32", Int8Linears.None, false),
        ("fp32 SkipLayerNorm", Int8Linears.None, true),
        ("all int8", Int8Linears.All, false),
        ("all int8 SkipLayerNorm", Int8Linears.All, true),
        ("all but FFN down", Int8Linears.All & ~Int8Linears.FfnDown, false),
        ("AO+FFN int8 (per tensor), QKV fp32", Int8Linears.AttentionOutput | Int8Linears.FfnUp | Int8Linears.FfnDown, false),
        ("AO+FFN MatMulNBits 8-bit block 32, QKV fp32", Int8Linears.AttentionOutput | Int8Linears.FfnUp | Int8Linears.FfnDown | Int8Linears.Blockwise, false),
        ("AO+FFN MatMulNBits 8-bit block 128, QKV fp32", Int8Linears.AttentionOutput | Int8Linears.FfnUp | Int8Linears.FfnDown | Int8Linears.Blockwise | Int8Linears.Block128, false),
        ("AO+FFN per-token MatMulInteger, QKV fp32", Int8Linears.AttentionOutput | Int8Linears.FfnUp | Int8Linears.FfnDown | Int8Linears.PerToken, false),
    ];

    public static void Run(Report report, BenchmarkOptions options, ScifactSample sample, BertPairEncoder tokenizer, BenchmarkModelFolder folder, OnnxCrossEncoder onnx)
    {
        var trainedPath = options.Model ?? Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "models", "default-reranker");
        using var trained = BertModelFolder.LoadForSequenceClassification(trainedPath, ClassifierHeadPolicy.RequireTrained);
        trained.eval();
        var trainedWeights = trained.ExportWeights();
        using var bench = BertModelFolder.LoadForSequenceClassification(folder.Path, ClassifierHeadPolicy.RequireTrained);
        var benchWeights = bench.ExportWeights();
        var trainedEncoder = new BertPairEncoder(Path.Combine(trainedPath, "vocab.txt"));
        var pairs = sample.Pairs();
        var encodings = pairs.Select(p => trainedEncoder.Encode(p.Query, p.Document, 128)).ToList();

        using var reference = new OnnxRuntimeSession(BertOnnxExporter.Export(trained.Config, trainedWeights, Int8Linears.None, trainedPath), options.Threads);
        var referenceLogits = Score(reference, trainedEncoder, encodings);

        var agreementRows = new List<IReadOnlyList<string>>();
        var scorers = new List<(string Name, OnnxRuntimeSession Scorer)>();
        try
        {
            foreach (var (name, linears, skipLayerNorm) in Variants)
            {
                using var trainedScorer = new OnnxRuntimeSession(BertOnnxExporter.Export(trained.Config, trainedWeights, linears, trainedPath, skipLayerNorm), options.Threads);
                var logits = Score(trainedScorer, trainedEncoder, encodings);
                var diffs = logits.Zip(referenceLogits, (a, b) => Math.Abs((double)a - b)).ToArray();
                var top10 = 0;
                var offset = 0;
                foreach (var q in sample.Queries)
                {
                    var n = q.Documents.Count;
                    var ra = Enumerable.Range(0, n).OrderByDescending(i => referenceLogits[offset + i]).Take(10);
                    var rb = Enumerable.Range(0, n).OrderByDescending(i => logits[offset + i]).Take(10);
                    if (ra.SequenceEqual(rb)) top10++;
                    offset += n;
                }
                agreementRows.Add([name, Report.E(diffs.Max()), Report.E(diffs.Average()), $"{top10}/{sample.Queries.Count}"]);
                scorers.Add((name, new OnnxRuntimeSession(BertOnnxExporter.Export(bench.Config, benchWeights, linears, folder.Path, skipLayerNorm), options.Threads)));
            }

            report.Line($"### int8 variants: agreement with fp32 (trained reranker, logits, {pairs.Count} SciFact pairs, max length 128, sorted batches of 16)");
            report.Line();
            report.Table(["quantized linears", "max |logit diff|", "mean |logit diff|", "identical top-10 order"], agreementRows);
            report.Line();

            var speedRows = new List<IReadOnlyList<string>>();
            foreach (var length in options.Lengths)
            {
                var exact = ExactLengthPairs.Build(tokenizer, sample, length, 16);
                Report.Progress($"int8 variants L={length}: {options.Rounds} interleaved rounds");
                var contenders = new List<Contender> { new("original", 16, () => onnx.Predict(tokenizer, exact, 512, 16)) };
                foreach (var (name, scorer) in scorers)
                    contenders.Add(new(name, 16, () => scorer.Logits(tokenizer.Pad(exact.Select(p => tokenizer.Encode(p.Query, p.Document, 512)).ToList()))));
                var r = Interleaved.Run(contenders, options.Rounds, options.MinSampleSeconds);
                speedRows.Add([length.ToString(), Report.F(r.Median("original"), 1), .. scorers.Select(s => Report.F(r.MedianRatio(s.Name, "original"), 2) + "x")]);
            }
            report.Line($"### int8 variants: speed / ORT fp32 on the original ONNX (batch 16, median of {options.Rounds} interleaved rounds)");
            report.Line();
            report.Table(["L", "original pairs/s", .. scorers.Select(s => s.Name)], speedRows);
            report.Line();
        }
        finally
        {
            foreach (var (_, scorer) in scorers) scorer.Dispose();
        }
    }

    private static float[] Score(OnnxRuntimeSession scorer, BertPairEncoder encoder, IReadOnlyList<PairEncoding> encodings) =>
        LengthSortedBatchesRun(encodings, 16, encoder, scorer);

    private static float[] LengthSortedBatchesRun(IReadOnlyList<PairEncoding> encodings, int batchSize, BertPairEncoder encoder, OnnxRuntimeSession scorer)
    {
        var order = Enumerable.Range(0, encodings.Count).OrderByDescending(i => encodings[i].Length).ThenBy(i => i).ToArray();
        var result = new float[encodings.Count];
        for (var start = 0; start < order.Length; start += batchSize)
        {
            var slice = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            var logits = scorer.Logits(encoder.Pad(slice.Select(i => encodings[i]).ToList()));
            for (var j = 0; j < slice.Length; j++) result[slice[j]] = logits[j];
        }
        return result;
    }
}
