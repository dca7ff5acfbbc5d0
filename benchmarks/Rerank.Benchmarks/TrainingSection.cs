using System.Diagnostics;
using Rerank.Lucene.Tokenization;
using Rerank.Training.Losses;
using Rerank.Training.Optimization;
using Rerank.Training.Trainer;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rerank.Benchmarks;

/// <summary>
/// Training throughput at L = 128 against the arithmetic ceiling measured in the same run: the
/// trainer's own update (<see cref="TrainingStep"/>: encode, forward, loss, backward, clipping, AdamW)
/// on the MiniLM-L6 cross-encoder with the default recipe's batch (8 queries x 1 positive + 3
/// negatives = 32 pairs of exactly 128 tokens), interleaved round by round with libtorch running every
/// matrix multiply of that update on its own (<see cref="TrainingGemms"/>, same shapes, same threads).
/// Then where the rest of the time goes: the update's parts, and the non-matmul operations at the
/// update's shapes.
/// </summary>
internal static class TrainingSection
{
    private const int Length = 128;
    private const int PairsPerRow = 4;

    public static void Run(Report report, BenchmarkOptions options, ScifactSample sample, BertPairEncoder tokenizer, BenchmarkModelFolder folder)
    {
        report.Line($"## Training throughput at L = {Length} (fp32, forward + backward + AdamW)");
        report.Line();
        var encoder = new PairBatchEncoder(tokenizer);
        var rowsByBatch = options.TrainBatches.ToDictionary(b => b, b => ExactLengthPairs.Rows(tokenizer, sample, Length, b, PairsPerRow)
            .Select(r => new TrainingRow(r.Query, r.Documents, [1f, 0f, 0f, 0f])).ToList());

        var tableRows = new List<IReadOnlyList<string>>();
        var goals = new List<string>();
        var threadNotes = new List<string>();
        foreach (var batch in options.TrainBatches)
        {
            var pairs = batch * PairsPerRow;
            var gemms = TrainingGemms.Step(pairs, Length);
            var stepGflop = gemms.Sum(g => g.Flops) / 1e9;
            using var scope = NewDisposeScope();
            var ceiling = TrainingGemms.Runner(gemms, options.Seed);
            using var current = new Arm(folder, encoder, options.Seed, release: true);
            using var before = new Arm(folder, encoder, options.Seed, release: false);
            var microBatches = new IReadOnlyList<TrainingRow>[] { rowsByBatch[batch] };
            var threadCounts = new[] { options.Threads, 1 }.Distinct().ToList();
            Action At(int threads, Action run) => () => { set_num_threads(threads); run(); };
            string Ceiling(int threads) => $"ceiling, {threads} thread(s)";
            string Step(int threads) => $"update, {threads} thread(s)";
            string Before(int threads) => $"update before, {threads} thread(s)";
            var contenders = new List<Contender>();
            foreach (var threads in threadCounts)
            {
                contenders.Add(new(Ceiling(threads), stepGflop, At(threads, ceiling)));
                contenders.Add(new(Step(threads), pairs, At(threads, () => current.Step.Run(microBatches, 2e-5))));
                if (threads == options.Threads) contenders.Add(new(Before(threads), pairs, At(threads, () => before.Step.Run(microBatches, 2e-5))));
            }
            Report.Progress($"Training L={Length} {batch} rows x {PairsPerRow} pairs: {options.Rounds} interleaved rounds of {contenders.Count}");
            var r = Interleaved.Run(contenders, options.Rounds, options.MinSampleSeconds);
            set_num_threads(options.Threads);
            var perPair = stepGflop / pairs;
            foreach (var threads in threadCounts)
            {
                foreach (var (arm, name) in new[] { ("after", Step(threads)), ("before", Before(threads)) })
                {
                    if (!r.Names.Contains(name)) continue;
                    var share = r.MedianRatio(name, Ceiling(threads)) * perPair;
                    tableRows.Add([
                        $"{batch} x {PairsPerRow} = {pairs}", threads.ToString(), arm, Report.F(stepGflop, 1), Report.F(r.Median(Ceiling(threads)), 0),
                        Report.F(r.Median(Ceiling(threads)) / perPair, 1), Report.F(r.Median(name), 2), Report.F(r.Median(name) * perPair, 0),
                        Report.F(100 * share, 0) + "%", $"{Report.F(100 * r.Spread(Ceiling(threads)), 0)} / {Report.F(100 * r.Spread(name), 0)}",
                    ]);
                    if (batch == 8 && arm == "after")
                    {
                        var best = r.Rates[r.Names.ToList().IndexOf(name)].Zip(r.Rates[r.Names.ToList().IndexOf(Ceiling(threads))], (u, c) => u * perPair / c).Max();
                        goals.Add($"{threads} thread(s): {Report.F(100 * share, 1)}% (best round {Report.F(100 * best, 1)}%) — " + (share >= 0.5 ? "met" : "MISSED")
                                  + (r.Names.Contains(Before(threads))
                                      ? $"; the trainer before this change {Report.F(100 * r.MedianRatio(Before(threads), Ceiling(threads)) * perPair, 1)}%, after/before pairs/s "
                                        + $"{Report.F(r.MedianRatio(Step(threads), Before(threads)), 3)}x (median of same-round ratios)"
                                      : ""));
                    }
                }
            }
            if (threadCounts.Count > 1)
            {
                threadNotes.Add($"{batch} rows: update pairs/s at 1 thread / at {options.Threads} threads = {Report.F(r.MedianRatio(Step(1), Step(options.Threads)), 2)}x, "
                                + $"ceiling GFLOP/s 1 / {options.Threads} threads = {Report.F(r.MedianRatio(Ceiling(1), Ceiling(options.Threads)), 2)}x (same-round medians).");
            }
        }

        report.Line($"### Update rate against the ceiling (median of {options.Rounds} interleaved rounds)");
        report.Line();
        report.Table(["rows x pairs", "threads", "arm", "GFLOP/update", "ceiling GFLOP/s", "ceiling pairs/s", "pairs/s", "GFLOP/s", "share of ceiling", "spread % ceiling/update"], tableRows);
        report.Line("GFLOP/update counts every matrix multiply of forward and backward (TrainingGemms: 3 GEMMs per Linear, 6 batched attention products "
                    + "per layer); the ceiling runs exactly those GEMMs with libtorch (addmm_ into preallocated outputs; bmm for the attention products) in the same rounds. "
                    + "Share = median over rounds of (update GFLOP/s) / (ceiling GFLOP/s) in the same round.");
        report.Line();
        if (goals.Count > 0) report.Line($"**Goal (>= 50% of the same-run fwd+bwd ceiling at L = {Length}, 8 x 4 pairs): " + string.Join("; ", goals) + ".**");
        report.Line();
        foreach (var note in threadNotes) report.Line(note);
        report.Line($"Load average now {Report.F(MachineInfo.LoadAverage(), 2)} on {Environment.ProcessorCount} cores.");
        report.Line();

        Breakdown(report, options, encoder, folder, rowsByBatch[options.TrainBatches[0]]);
        Operations(report, options, options.TrainBatches[0] * PairsPerRow);
    }

    /// <summary>Where an update's time goes: its parts timed one after another, as the update runs them.</summary>
    private static void Breakdown(Report report, BenchmarkOptions options, PairBatchEncoder encoder, BenchmarkModelFolder folder, List<TrainingRow> rows)
    {
        using var arm = new Arm(folder, encoder, options.Seed, release: true);
        var pairs = rows.SelectMany(r => r.Documents.Select(d => (r.Query, d))).ToList();
        var parts = new[] { "encode (tokenize + pad)", "forward + loss", "forward + loss + backward", "clip_grad_norm_", "AdamW step", "clear gradients", "whole update" };
        var samples = parts.ToDictionary(p => p, _ => new List<double>());
        var faults = parts.ToDictionary(p => p, _ => new List<double>());
        Report.Progress($"Training breakdown: {options.Rounds + 1} updates");
        for (var i = 0; i <= options.Rounds; i++)
        {
            var laps = new List<(double Ms, long Faults)>();
            var clock = Stopwatch.StartNew();
            var faultMark = MachineInfo.MinorFaults();
            void Lap()
            {
                var now = MachineInfo.MinorFaults();
                laps.Add((clock.Elapsed.TotalMilliseconds, now - faultMark));
                faultMark = now;
                clock.Restart();
            }
            encoder.Encode(pairs, Length);
            Lap();
            using (var forwardOnly = NewDisposeScope())
            {
                var batch = encoder.Encode(pairs, Length);
                var logits = arm.Model.Logits(batch, CPU, TrainingPrecision.Fp32).reshape(rows.Count, PairsPerRow);
                arm.Loss.Forward(logits, ones_like(logits), ones_like(logits, dtype: ScalarType.Bool)).item<float>();
            }
            Lap();
            using (var step = NewDisposeScope())
            {
                arm.Step.ForwardBackward(rows, 1.0).item<float>();
                Lap();
                nn.utils.clip_grad_norm_(arm.Parameters, 1.0);
                Lap();
                arm.Optimizer.step();
                Lap();
                arm.Step.ClearGradients();
                Lap();
            }
            if (i == 0) continue; // warm-up
            for (var p = 0; p < laps.Count; p++)
            {
                samples[parts[p]].Add(laps[p].Ms);
                faults[parts[p]].Add(laps[p].Faults);
            }
            samples[parts[^1]].Add(laps.Skip(2).Sum(l => l.Ms));
            faults[parts[^1]].Add(laps.Skip(2).Sum(l => l.Faults));
        }
        var total = Stats.Median(samples[parts[^1]]);
        report.Line($"### Where an update goes ({rows.Count} x {PairsPerRow} pairs, median of {options.Rounds} updates)");
        report.Line();
        report.Table(["part", "ms", "share of whole update", "minor page faults"],
            parts.Select(p => (IReadOnlyList<string>)[p, Report.F(Stats.Median(samples[p]), 1), Report.F(100 * Stats.Median(samples[p]) / total, 0) + "%",
                Report.F(Stats.Median(faults[p]), 0)]));
        report.Line("\"forward + loss\" is timed separately (no backward); \"forward + loss + backward\" includes encoding, as in the update. "
                    + "The whole update is the sum of the last four parts. A minor page fault is the kernel mapping (and zeroing) a fresh 4 KiB page "
                    + "for memory the allocator took from the system.");
        report.Line();
    }

    /// <summary>The update's non-matmul operations on their own, forward and backward at the update's shapes, times their count per update.</summary>
    private static void Operations(Report report, BenchmarkOptions options, int pairs)
    {
        using var scope = NewDisposeScope();
        manual_seed(options.Seed);
        const int H = 384, I = 1536, Heads = 12, Layers = 6;
        Tensor Leaf(params long[] shape) => randn(shape).requires_grad_(true);
        var hidden = Leaf(pairs, Length, H);
        var wide = Leaf(pairs, Length, I);
        var q = Leaf(pairs, Heads, Length, H / Heads);
        var k = Leaf(pairs, Heads, Length, H / Heads);
        var v = Leaf(pairs, Heads, Length, H / Heads);
        var keyMask = ones([pairs, 1, 1, Length], dtype: ScalarType.Bool);
        var lnWeight = ones(H).requires_grad_(true);
        var lnBias = zeros(H).requires_grad_(true);
        var wordTable = nn.Embedding(30522, H);
        var ids = randint(1000, 30000, [pairs, Length], dtype: ScalarType.Int64);
        var gradHidden = randn(pairs, Length, H);
        var gradWide = randn(pairs, Length, I);
        var gradHeads = randn(pairs, Heads, Length, H / Heads);

        void Backward(Tensor output, Tensor gradient, params Tensor[] inputs)
        {
            foreach (var g in autograd.grad([output], inputs, [gradient])) g.Dispose();
        }

        var operations = new (string Name, int PerUpdate, Action Run)[]
        {
            ("LayerNorm [B,L,384]", 2 * Layers + 1, () => { using var s = NewDisposeScope(); Backward(nn.functional.layer_norm(hidden, [H], lnWeight, lnBias, 1e-12), gradHidden, hidden, lnWeight, lnBias); }),
            ("GELU (erf) [B,L,1536]", Layers, () => { using var s = NewDisposeScope(); Backward(nn.functional.gelu(wide), gradWide, wide); }),
            ("dropout 0.1 [B,L,384]", 2 * Layers + 1, () => { using var s = NewDisposeScope(); Backward(nn.functional.dropout(hidden, 0.1, true), gradHidden, hidden); }),
            ("residual add [B,L,384]", 2 * Layers, () => { using var s = NewDisposeScope(); Backward(hidden + gradHidden, gradHidden, hidden); }),
            ("SDPA, key mask, dropout 0.1 (incl. its matmuls)", Layers, () => { using var s = NewDisposeScope(); Backward(nn.functional.scaled_dot_product_attention(q, k, v, keyMask, 0.1, false), gradHeads, q, k, v); }),
            ("SDPA, key mask, no dropout (incl. its matmuls)", 0, () => { using var s = NewDisposeScope(); Backward(nn.functional.scaled_dot_product_attention(q, k, v, keyMask, 0.0, false), gradHeads, q, k, v); }),
            ("word embedding lookup [30522,384]", 1, () => { using var s = NewDisposeScope(); Backward(wordTable.forward(ids), gradHidden, wordTable.weight!); }),
            ("head split/merge copies (transpose + reshape)", Layers, () => { using var s = NewDisposeScope(); Backward(hidden.view(pairs, Length, Heads, H / Heads).transpose(1, 2).transpose(1, 2).reshape(pairs, Length, H), gradHidden, hidden); }),
        };
        var contenders = operations.Select(o => new Contender(o.Name, 1, o.Run)).ToList();
        Report.Progress($"Training operations: {options.Rounds} interleaved rounds");
        var r = Interleaved.Run(contenders, options.Rounds, options.MinSampleSeconds);
        report.Line($"### Non-matmul operations at the update's shapes (B = {pairs}, L = {Length}; forward + backward, median of {options.Rounds} interleaved rounds)");
        report.Line();
        report.Table(["operation", "ms each", "per update", "ms per update"],
            operations.Select(o => (IReadOnlyList<string>)[o.Name, Report.F(1000 / r.Median(o.Name), 2), o.PerUpdate.ToString(), Report.F(o.PerUpdate * 1000 / r.Median(o.Name), 0)]));
    }

    /// <summary>One trainable cross-encoder with its optimizer and update, as the trainer builds them.</summary>
    private sealed class Arm : IDisposable
    {
        public Arm(BenchmarkModelFolder folder, PairBatchEncoder encoder, int seed, bool release)
        {
            manual_seed(seed);
            var options = new TrainingOptions { OutputDirectory = "unused", MaxLength = Length };
            var adapter = SequenceClassifierAdapter.Load(folder.Path, CPU, seed, Length);
            Model = adapter;
            Model.Module.train();
            var named = Model.Module.named_parameters().Select(p => (p.name, p.parameter)).ToList();
            Parameters = named.Where(p => p.parameter.requires_grad).Select(p => p.parameter).ToList();
            Optimizer = AdamWFactory.Create(named, options.LearningRate, options.WeightDecay, options.Beta1, options.Beta2, options.Epsilon);
            Loss = RankingLosses.Create(LossKind.BinaryCrossEntropy, PairsPerRow - 1);
            Step = new TrainingStep(Model, Loss, encoder, Parameters, Optimizer, options, CPU) { ReleaseGradients = release };
        }

        public ITrainableCrossEncoder Model { get; }
        public IReadOnlyList<Parameter> Parameters { get; }
        public optim.Optimizer Optimizer { get; }
        public IRankingLoss Loss { get; }
        public TrainingStep Step { get; }

        public void Dispose()
        {
            Optimizer.Dispose();
            Model.Module.Dispose();
        }
    }
}
