using System.Diagnostics;
using Rerank.Training.Trainer;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Training.Trainer;

/// <summary>
/// Measures the memory a training step of a MiniLM-L6-sized cross-encoder needs (6 layers, hidden
/// 384, 12 heads, intermediate 1536) at length 256, batch 16: the evidence behind not recomputing
/// activations (gradient checkpointing). Slow and machine-dependent, so it runs only with
/// <c>SEARCHRERANK_MEASURE=1</c>; otherwise it returns at once.
/// Measured on the 2-core Debian 12 build machine (TorchSharp 0.107, libtorch 2.10 CPU, fp32):
/// batch 16 x length 256 needs 1206 MiB above the resident model for forward + backward (process
/// peak 2318 MiB), 7.6 s per step. Recomputation would save most of that 1.2 GiB at about a third
/// more compute; on 24 GiB hosts (or any GPU of 8 GB and more) memory is not the limit, compute is.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ActivationMemoryMeasurement(ITestOutputHelper output)
{
    [Fact]
    public void TrainingStep_MiniLmSize_PeakMemoryIsReported()
    {
        if (Environment.GetEnvironmentVariable("SEARCHRERANK_MEASURE") != "1") return;
        foreach (var (batchSize, length) in new[] { (16, 256) })
        {
            torch.manual_seed(1);
            var model = new TinyCrossEncoder(vocab: 30522, hidden: 384, layers: 6, heads: 12, intermediate: 1536, maxPositions: 512);
            var rows = batchSize;
            var batch = new EncodedPairBatch(
                Enumerable.Range(0, rows * length).Select(i => (long)(i % 30000 + 100)).ToArray(),
                Enumerable.Repeat(1L, rows * length).ToArray(),
                Enumerable.Range(0, rows * length).Select(i => i % length < length / 4 ? 0L : 1L).ToArray(), rows, length);
            model.train();
            Step(model, batch); // warm-up: allocates AdamW-free gradients once
            var baseline = Rss("VmRSS");
            ResetPeak();
            var clock = Stopwatch.StartNew();
            Step(model, batch);
            var seconds = clock.Elapsed.TotalSeconds;
            var peak = Rss("VmHWM");

            ResetPeak();
            var inferenceBase = Rss("VmRSS");
            using (no_grad())
            using (var scope = NewDisposeScope())
            {
                model.eval();
                model.Logits(batch, CPU, TrainingPrecision.Fp32);
            }
            var inferencePeak = Rss("VmHWM");
            var line = $"batch {batchSize} x length {length}: forward+backward peak above resident {(peak - baseline) / 1048576.0:0} MiB " +
                $"(process peak {peak / 1048576.0:0} MiB), no-grad forward peak {(inferencePeak - inferenceBase) / 1048576.0:0} MiB, step {seconds:0.0} s";
            output.WriteLine(line);
            Console.Error.WriteLine(line);
            model.Dispose();
        }
    }

    private static void Step(TinyCrossEncoder model, EncodedPairBatch batch)
    {
        using var scope = NewDisposeScope();
        model.zero_grad();
        model.Logits(batch, CPU, TrainingPrecision.Fp32).square().mean().backward();
    }

    private static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static long Rss(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
