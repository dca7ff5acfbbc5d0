using System.Diagnostics;
using System.Runtime.InteropServices;
using Rerank.Benchmarks;
using Rerank.Lucene.Native;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tokenization;
using static TorchSharp.torch;

// Cross-encoder inference speed on the CPU: TorchSharp fp32 and bf16 against ONNX Runtime fp32 on
// the same weights and inputs, the matmul ceiling, dynamic padding on SciFact and bf16 agreement;
// (section embedder) the bi-encoder's engines at index and query time; and the cost-against-size
// sections (scale-*) that eval/speed/scale.sh runs.
// (section embedder-finetune) fine-tuning the bundled bi-encoder on a collection's training judgments.
// (section prf) pseudo-relevance feedback (RM3, Rocchio) in the hybrid first stage, on dev sets.
// See docs/BENCHMARKS.md for the command and the recorded results.
// Ctrl-C / SIGTERM stop the run (between timed runs, see Stop; embedder-finetune between updates, nothing saved); exit 130.
using var cancel = new CancellationTokenSource();
Stop.Token = cancel.Token;
void OnSignal(PosixSignalContext context)
{
    if (cancel.IsCancellationRequested) return; // a second signal ends the process
    context.Cancel = true;
    cancel.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
BenchmarkOptions options;
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(BenchmarkOptions.Usage);
    return 0;
}
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"rerank-bench: {e.Message}");
    return 2;
}
var clock = Stopwatch.StartNew();
var report = new Report();
var workDir = options.WorkDir ?? Path.Combine(Path.GetTempPath(), $"rerank-bench-{Environment.ProcessId}");
Directory.CreateDirectory(workDir);
try
{
    TorchRuntime.EnsureLoaded();
    TorchRuntime.SetThreads(options.Threads);
    report.Line($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; `rerank-bench {string.Join(' ', args)}`");
    report.Line($"CPU: {MachineInfo.CpuModel()}, {Environment.ProcessorCount} logical cores; flags: {MachineInfo.Bf16Flags()}; "
                + $"load average at start {Report.F(MachineInfo.LoadAverage(), 2)}");
    report.Line($"Threads: libtorch {get_num_threads()} (TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}), "
                + $"ONNX Runtime {OnnxCrossEncoder.RuntimeVersion} intra-op {options.Threads}, inter-op 1");
    report.Line();

    if (options.Sections.Contains("embedder"))
    {
        EmbedderSection.Run(report, options);
        Report.Progress($"Embedder done after {clock.Elapsed.TotalMinutes:F1} min");
    }
    if (options.Sections.Contains("embedder-finetune"))
    {
        EmbedderFinetuneSection.Run(report, options, cancel.Token);
        Report.Progress($"Embedder fine-tuning done after {clock.Elapsed.TotalMinutes:F1} min");
    }
    if (options.Sections.Contains("prf"))
    {
        PrfSection.Run(report, options);
        Report.Progress($"Pseudo-relevance feedback done after {clock.Elapsed.TotalMinutes:F1} min");
    }
    // The cost-against-size sections (eval/speed/scale.sh) need neither the benchmark model nor the SciFact sample.
    if (options.Sections.Overlaps(ScaleBenchmark.Sections)) ScaleBenchmark.Run(report, options);
    if (options.Sections.IsSubsetOf(["embedder", "embedder-finetune", "prf", .. ScaleBenchmark.Sections]))
    {
        // The cross-encoder sections' model folder and sample are not needed.
        report.Line($"Total wall time {clock.Elapsed.TotalMinutes:F1} min; load average at end {Report.F(MachineInfo.LoadAverage(), 2)}.");
        if (options.Out is not null) report.Save(options.Out);
        return 0;
    }

    Report.Progress("Building the benchmark model folder (bundled MiniLM-L6 + seeded random head)");
    var folder = BenchmarkModelFolder.Create(workDir, options.Seed);
    var sample = ScifactSample.Load(options.Scifact, options.Queries, options.DocsPerQuery, options.Seed);
    var tokenizer = new BertPairEncoder(Path.Combine(folder.Path, "vocab.txt"));
    using var onnx = new OnnxCrossEncoder(options.Threads, folder.ClassifierWeight, folder.ClassifierBias);

    if (options.Sections.Contains("engines"))
    {
        EnginesBenchmark.Run(report, options, sample, tokenizer, folder, onnx);
        Report.Progress($"Engines done after {clock.Elapsed.TotalMinutes:F1} min");
    }

    if (options.Sections.Contains("int8variants")) Int8VariantsSection.Run(report, options, sample, tokenizer, folder, onnx);
    if (options.Sections.Contains("ortprofile")) OrtProfileSection.Run(report, options, sample, tokenizer, folder, workDir);

    var maxBatch = options.Batches.Max();
    CrossEncoder Load(Precision precision, int batchSize) => CrossEncoder.Load(folder.Path, new CrossEncoderOptions
    {
        BatchSize = batchSize, MaxLength = 512, Device = "cpu", Engine = InferenceEngine.TorchSharp, Precision = precision, Threads = options.Threads,
    });

    if (options.Sections.Overlaps(["grid", "profile"]))
    {
        using var fp32 = Load(Precision.Fp32, maxBatch);
        using var bf16 = Load(Precision.Bf16, maxBatch);
        if (options.Sections.Contains("grid"))
        {
            GridBenchmark.Run(report, options, sample, tokenizer, fp32, bf16, onnx);
            Report.Progress($"Grid done after {clock.Elapsed.TotalMinutes:F1} min");
        }
        if (options.Sections.Contains("profile"))
        {
            LayerProfileSection.Run(report, options, sample, tokenizer, fp32, bf16);
            Report.Progress($"Profile done after {clock.Elapsed.TotalMinutes:F1} min");
        }
    }

    if (options.Sections.Contains("scifact")) ScifactBenchmark.Run(report, options, sample, tokenizer, folder, onnx);
    if (options.Sections.Contains("training"))
    {
        TrainingSection.Run(report, options, sample, tokenizer, folder);
        Report.Progress($"Training done after {clock.Elapsed.TotalMinutes:F1} min");
    }
    report.Line($"Total wall time {clock.Elapsed.TotalMinutes:F1} min; load average at end {Report.F(MachineInfo.LoadAverage(), 2)}.");
    if (options.Out is not null) report.Save(options.Out);
    return 0;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine(options.Out is null ? "rerank-bench: cancelled." : $"rerank-bench: cancelled; {options.Out} was not written.");
    return 130;
}
catch (Exception e) when (e is Rerank.Lucene.InvalidInputException or ArgumentException or IOException or UnauthorizedAccessException)
{
    // A missing --scifact, --index or --model folder (or one a section needs and was not given): one line, no stack trace.
    Console.Error.WriteLine($"rerank-bench: {e.Message}");
    return 2;
}
finally
{
    if (options.WorkDir is null && Directory.Exists(workDir)) Directory.Delete(workDir, recursive: true);
}
