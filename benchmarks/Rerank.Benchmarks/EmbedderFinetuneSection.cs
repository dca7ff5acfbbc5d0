using System.Diagnostics;
using Rerank.Lucene.Retrieval;
using Rerank.Training.Data;
using Rerank.Training.Embedding;
using Rerank.Training.Mining;

namespace Rerank.Benchmarks;

/// <summary>
/// Section embedder-finetune (issue 9 probe): fine-tunes the bundled all-MiniLM-L6-v2 on a collection's training
/// judgments with <see cref="MultipleNegativesRankingLoss"/> and saves it as a sentence-transformers folder for
/// <c>search-host index --embedder</c>. One hard negative per judged positive, mined from the index's BM25 ranks
/// [10, 100) without the query's judged positives (<see cref="HardNegativeMiner"/>, seeded); documents are the index's
/// title + text, cut to the passage max length. Evaluation is separate (eval/embedder-finetune/scifact-dev.sh).
/// </summary>
internal static class EmbedderFinetuneSection
{
    public static void Run(Report report, BenchmarkOptions options, CancellationToken ct)
    {
        var index = options.ScaleIndex ?? throw new ArgumentException("Section embedder-finetune needs --index DIR (the index to mine negatives from).");
        var queries = options.FinetuneQueries ?? throw new ArgumentException("Section embedder-finetune needs --ft-queries FILE (BEIR queries.jsonl).");
        var qrels = options.FinetuneQrels ?? throw new ArgumentException("Section embedder-finetune needs --ft-qrels FILE (the training judgments).");
        var output = options.FinetuneOutput ?? throw new ArgumentException("Section embedder-finetune needs --ft-output DIR (a new folder for the fine-tuned embedder).");
        var training = new BiEncoderTrainingOptions
        {
            LearningRate = options.FinetuneLearningRate, BatchSize = options.FinetuneBatch, Epochs = options.FinetuneEpochs, Seed = options.FinetuneSeed,
        };
        training.Validate();
        // Checked now, not after the training: a new or empty folder, or with --ft-overwrite an embedder folder (never one of other files).
        EmbedderOutput.CheckFolder(output, options.FinetuneOverwrite, "--ft-output", "--ft-overwrite");
        var clock = Stopwatch.StartNew();

        using var bm25 = Bm25Searcher.Open(index, reopenWhenRebuilt: false);
        var store = new IndexDocumentStore(bm25);
        // Judged documents the index left out (cranfield's two empty ones, indexed with --skip-empty) are skipped and counted.
        var skipped = new List<string>();
        var groups = BeirTrainingReader.Read(queries, qrels, store, skipped);
        var mining = new MiningOptions { NumNegatives = 1, RangeMin = 10, RangeMax = 100, Seed = options.FinetuneSeed };
        var mined = new HardNegativeMiner(new RetrieverCandidateSource(bm25), store, mining).Mine(groups, ct);
        var (rows, withoutNegatives) = BiEncoderTrainingRow.FromGroups(mined.Groups);
        var miningSeconds = clock.Elapsed.TotalSeconds;
        Report.Progress($"Mined {rows.Count} rows from {groups.Count} queries in {miningSeconds:F0} s");

        report.Line("## Fine-tuning the bundled bi-encoder (MultipleNegativesRankingLoss)");
        report.Line();
        report.Line($"Index `{index}`, queries `{queries}`, judgments `{qrels}`, output `{output}`.");
        report.Line($"Data: {groups.Count} judged queries, {rows.Count} rows (query, positive, one BM25 negative from ranks [{mining.RangeMin}, {mining.RangeMax}), "
                    + $"seed {mining.Seed}); queries without a negative, left out: {withoutNegatives.Count}; "
                    + $"judged documents not in the index, skipped: {skipped.Count}{(skipped.Count > 0 ? $" ({string.Join(", ", skipped.Distinct())})" : "")}. Mining {Report.F(miningSeconds, 1)} s.");
        report.Line($"Recipe: lr {training.LearningRate}, batch {training.BatchSize}, {training.Epochs} epoch(s), warmup ratio {training.WarmupRatio}, "
                    + $"weight decay {training.WeightDecay}, clip {training.MaxGradNorm}, scale {training.Scale}, query max {training.QueryMaxLength} tokens, "
                    + $"document max {training.PassageMaxLength}, seed {training.Seed}, dropout on (config), fp32 on the CPU.");

        using var encoder = TrainableBiEncoder.Bundled("cpu");
        var probe = rows.Take(Math.Min(64, rows.Count)).ToList();
        var before = BiEncoderTrainer.Evaluate(encoder, probe, training);
        var progress = new SyncProgress(p => Report.Progress(
            $"update {p.Step}/{p.TotalSteps}: loss {p.Loss:F4}, lr {p.LearningRate:E2}, {p.Elapsed.TotalSeconds:F0} s, load {MachineInfo.LoadAverage():F2}"));
        var result = BiEncoderTrainer.Train(encoder, rows, training, progress, ct);
        var after = BiEncoderTrainer.Evaluate(encoder, probe, training);
        ct.ThrowIfCancellationRequested();
        encoder.Save(output, options.FinetuneOverwrite, "--ft-output", "--ft-overwrite");

        var losses = result.Losses;
        double Mean(IEnumerable<double> xs) => xs.DefaultIfEmpty(double.NaN).Average();
        var tenth = Math.Max(1, losses.Count / 10);
        report.Line($"Training: {losses.Count} updates ({result.WarmupSteps} warmup) in {Report.F(result.Elapsed.TotalSeconds, 0)} s "
                    + $"({Report.F(result.Elapsed.TotalSeconds / losses.Count, 1)} s per update); batch loss mean of the first {tenth} updates "
                    + $"{Report.F(Mean(losses.Take(tenth)), 4)}, of the last {tenth} {Report.F(Mean(losses.TakeLast(tenth)), 4)}.");
        report.Line($"Loss of the first {probe.Count} rows as one batch, no dropout: {Report.F(before, 4)} before, {Report.F(after, 4)} after (training rows, not a held-out measure).");
        report.Line($"Saved `{output}`; section wall time {Report.F(clock.Elapsed.TotalSeconds, 0)} s.");
        report.Line();
    }

    private sealed class SyncProgress(Action<BiEncoderTrainingProgress> handler) : IProgress<BiEncoderTrainingProgress>
    {
        public void Report(BiEncoderTrainingProgress value) => handler(value);
    }
}
