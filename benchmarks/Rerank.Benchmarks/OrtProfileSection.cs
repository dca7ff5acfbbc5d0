using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Tokenization;

namespace Rerank.Benchmarks;

/// <summary>
/// Where the time goes inside ONNX Runtime for our exported graph (fp32 and int8): ONNX Runtime's own
/// profiler (SessionOptions.EnableProfiling) over a few runs of one batch, node times summed by operator type.
/// </summary>
internal static class OrtProfileSection
{
    public static void Run(Report report, BenchmarkOptions options, ScifactSample sample, BertPairEncoder tokenizer, BenchmarkModelFolder folder, string workDir)
    {
        using var model = BertModelFolder.LoadForSequenceClassification(folder.Path, ClassifierHeadPolicy.RequireTrained);
        var weights = model.ExportWeights();
        foreach (var length in options.Lengths)
        {
            var pairs = ExactLengthPairs.Build(tokenizer, sample, length, 16);
            var batch = tokenizer.Pad(pairs.Select(p => tokenizer.Encode(p.Query, p.Document, 512)).ToList());
            var rows = new Dictionary<string, double[]>(StringComparer.Ordinal);
            var totals = new double[2];
            foreach (var (column, precision) in new[] { (0, OnnxLinearPrecision.Fp32), (1, OnnxLinearPrecision.Int8) })
            {
                var bytes = BertOnnxExporter.Export(model.Config, weights, precision, folder.Path);
                using var so = new SessionOptions
                {
                    IntraOpNumThreads = options.Threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                };
                so.EnableProfiling = true;
                so.ProfileOutputPathPrefix = Path.Combine(workDir, $"ort-{precision}-{length}");
                string file;
                using (var session = new InferenceSession(bytes, so))
                {
                    long[] shape = [batch.BatchSize, batch.SequenceLength];
                    for (var i = 0; i < 6; i++)
                    {
                        using var ids = OrtValue.CreateTensorValueFromMemory(batch.InputIds, shape);
                        using var types = OrtValue.CreateTensorValueFromMemory(batch.TokenTypeIds, shape);
                        using var mask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, shape);
                        using var runOptions = new RunOptions();
                        using var outputs = session.Run(runOptions, ["input_ids", "token_type_ids", "attention_mask"], [ids, types, mask], ["logits"]);
                    }
                    file = session.EndProfiling();
                }
                using var doc = JsonDocument.Parse(File.ReadAllText(file));
                // The first run is a warm-up (the arena grows, pages are touched for the first time): skip its nodes.
                var runEvents = doc.RootElement.EnumerateArray()
                    .Where(e => e.GetProperty("cat").GetString() == "Session" && e.GetProperty("name").GetString() == "model_run")
                    .Select(e => (Ts: e.GetProperty("ts").GetDouble(), Dur: e.GetProperty("dur").GetDouble())).OrderBy(r => r.Ts).ToList();
                var warmupEnd = runEvents[0].Ts + runEvents[0].Dur;
                var runs = runEvents.Count - 1;
                foreach (var e in doc.RootElement.EnumerateArray())
                {
                    if (e.GetProperty("ts").GetDouble() <= warmupEnd) continue;
                    if (e.GetProperty("cat").GetString() != "Node" || !e.TryGetProperty("args", out var args) || !args.TryGetProperty("op_name", out var op)) continue;
                    var name = e.GetProperty("name").GetString() ?? "";
                    if (!name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                    var key = op.GetString()!;
                    if (!rows.TryGetValue(key, out var v)) rows[key] = v = new double[2];
                    var us = e.GetProperty("dur").GetDouble();
                    v[column] += us;
                    totals[column] += us;
                }
                foreach (var v in rows.Values) v[column] /= Math.Max(runs, 1);
                totals[column] /= Math.Max(runs, 1);
            }
            report.Line($"### ONNX Runtime profile, our graph, L={length}, batch 16 (ms per batch, mean of 5 runs after a warm-up)");
            report.Line();
            report.Table(["op", "fp32 ms", "fp32 share", "int8 ms", "int8 share"],
                rows.OrderByDescending(r => r.Value[0] + r.Value[1]).Select(r => (IReadOnlyList<string>)[
                    r.Key, Report.F(r.Value[0] / 1000, 1), Report.F(100 * r.Value[0] / totals[0], 0) + "%",
                    Report.F(r.Value[1] / 1000, 1), Report.F(100 * r.Value[1] / totals[1], 0) + "%"]));
            report.Line($"Total node time: fp32 {Report.F(totals[0] / 1000, 1)} ms, int8 {Report.F(totals[1] / 1000, 1)} ms.");
            report.Line();
        }
    }
}
