using Rerank.Training.Losses;
using Rerank.Training.Trainer;
using static Rerank.Lucene.Tests.Training.Trainer.TrainerFixtures;

using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Training.Trainer;

[Collection(TorchCollection.Name)]
public sealed class CrossEncoderTrainerTests
{
    [Fact]
    public void Train_ResumedAfterCancellation_EndsWithSameWeightsAsStraightRun()
    {
        // 12 rows, batch 2 -> 6 batches per epoch; accumulation 2 -> 3 updates per epoch; 2 epochs -> 6 updates.
        // The interrupted run stops after update 4 (epoch 1, batch 2 of 6) and resumes from its checkpoint.
        var groups = Groups(12, negatives: 2);
        TrainingOptions Options(string dir) => TinyOptions(dir) with
        {
            Epochs = 2, GradientAccumulationSteps = 2, CheckpointEverySteps = 1, EvalEverySteps = 2, LoadBestModelAtEnd = false,
        };
        var hooks = new TrainingHooks(Evaluate: (s, _) => MeanMargin(s));

        var straightDir = TestPaths.NewTempDir();
        TinyCrossEncoder? straight = null;
        var straightResult = new CrossEncoderTrainer(Options(straightDir), _ => straight = new TinyCrossEncoder(), new HashingPairEncoder())
            .Train(groups, hooks);

        var resumedDir = TestPaths.NewTempDir();
        using var cts = new CancellationTokenSource();
        var killHooks = hooks with { Progress = new SyncProgress<TrainingProgress>(p => { if (p.Step == 4) cts.Cancel(); }) };
        Assert.Throws<OperationCanceledException>(() =>
            new CrossEncoderTrainer(Options(resumedDir), _ => new TinyCrossEncoder(), new HashingPairEncoder()).Train(groups, killHooks, cts.Token));
        Assert.False(File.Exists(Path.Combine(resumedDir, "config.json")));

        TinyCrossEncoder? resumed = null;
        var resumedSteps = new List<int>();
        var resumeHooks = hooks with { Progress = new SyncProgress<TrainingProgress>(p => resumedSteps.Add(p.Step)) };
        var resumedResult = new CrossEncoderTrainer(Options(resumedDir), _ => resumed = new TinyCrossEncoder(), new HashingPairEncoder()) { Resume = true }
            .Train(groups, resumeHooks);

        Assert.Equal(6, straightResult.Steps);
        Assert.Equal(6, resumedResult.Steps);
        Assert.Equal([5, 6], resumedSteps);
        var a = straight!.FlatWeights();
        var b = resumed!.FlatWeights();
        Assert.Equal(a.Length, b.Length);
        var maxDiff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(maxDiff <= 1e-6, $"max |straight - resumed| = {maxDiff}");
        Assert.Equal(straightResult.DevCurve.Select(e => e.Step), resumedResult.DevCurve.Select(e => e.Step));
        Assert.Equal(straightResult.DevCurve.Select(e => e.Metric), resumedResult.DevCurve.Select(e => e.Metric));
    }

    [Fact]
    public void Train_CancelledDuringValidation_KeepsTheUpdateAndResumeRunsTheValidationFirst()
    {
        // 6 updates, a validation after every second one, checkpoints only at the end (every 100). Ctrl-C lands
        // while the validation after update 4 runs: update 4 must be saved (before this fix the newest
        // checkpoint was none at all), and the resumed run must validate after update 4 before update 5, so its
        // dev curve, best checkpoint and weights equal a run never interrupted.
        var groups = Groups(12, negatives: 2);
        TrainingOptions Options(string dir) => TinyOptions(dir) with
        {
            Epochs = 2, GradientAccumulationSteps = 2, CheckpointEverySteps = 100, EvalEverySteps = 2,
        };
        var straightDir = TestPaths.NewTempDir();
        TinyCrossEncoder? straight = null;
        var straightResult = new CrossEncoderTrainer(Options(straightDir), _ => straight = new TinyCrossEncoder(), new HashingPairEncoder())
            .Train(groups, new TrainingHooks(Evaluate: (s, _) => MeanMargin(s)));

        var dir = TestPaths.NewTempDir();
        using var cts = new CancellationTokenSource();
        var validations = 0;
        var cancelling = new TrainingHooks(Evaluate: (s, ct) =>
        {
            if (++validations == 2)
            {
                cts.Cancel(); // as the Ctrl-C handler does, then the evaluation notices it
                ct.ThrowIfCancellationRequested();
            }
            return MeanMargin(s);
        });
        Assert.Throws<OperationCanceledException>(() =>
            new CrossEncoderTrainer(Options(dir), _ => new TinyCrossEncoder(), new HashingPairEncoder()).Train(groups, cancelling, cts.Token));
        Assert.Equal(4, CrossEncoderTrainer.LatestCheckpoint(Options(dir))?.Step);

        TinyCrossEncoder? resumed = null;
        var evaluatedAfter = new List<int>();
        var resumeHooks = new TrainingHooks(
            Evaluate: (s, _) => MeanMargin(s),
            Progress: new SyncProgress<TrainingProgress>(p => evaluatedAfter.Add(p.Step)));
        var resumedResult = new CrossEncoderTrainer(Options(dir), _ => resumed = new TinyCrossEncoder(), new HashingPairEncoder()) { Resume = true }
            .Train(groups, resumeHooks);

        Assert.Equal([5, 6], evaluatedAfter);
        Assert.Equal([2, 4, 6], straightResult.DevCurve.Select(e => e.Step));
        Assert.Equal(straightResult.DevCurve.Select(e => e.Step), resumedResult.DevCurve.Select(e => e.Step));
        Assert.Equal(straightResult.DevCurve.Select(e => e.Metric), resumedResult.DevCurve.Select(e => e.Metric));
        Assert.Equal(straightResult.BestStep, resumedResult.BestStep);
        var a = straight!.FlatWeights();
        var b = resumed!.FlatWeights();
        var maxDiff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(maxDiff <= 1e-6, $"max |straight - resumed| = {maxDiff}");
    }

    [Fact]
    public void Train_SameSeedTwice_SameWeights_DifferentSeed_DifferentWeights()
    {
        var groups = Groups(4, negatives: 1);
        float[] Run(int seed)
        {
            TinyCrossEncoder? model = null;
            new CrossEncoderTrainer(TinyOptions(TestPaths.NewTempDir()) with { Seed = seed }, _ => model = new TinyCrossEncoder(), new HashingPairEncoder())
                .Train(groups, new TrainingHooks());
            return model!.FlatWeights();
        }
        Assert.Equal(Run(3), Run(3));
        Assert.NotEqual(Run(3), Run(4));
    }

    [Fact]
    public void Train_MetricKeepsFalling_StopsAfterPatienceAndKeepsBestWeights()
    {
        // Evaluations after updates 1, 2, 3 return 0.5, 0.4, 0.3: the best stays at update 1, and
        // after 2 evaluations without improvement (patience 2) the run stops at update 3 of 12.
        var metrics = new Queue<double>([0.5, 0.4, 0.3, 0.2, 0.1]);
        var dir = TestPaths.NewTempDir();
        TinyCrossEncoder? model = null;
        var options = TinyOptions(dir) with { Epochs = 2, EvalEverySteps = 1, Patience = 2 };
        var result = new CrossEncoderTrainer(options, _ => model = new TinyCrossEncoder(), new HashingPairEncoder())
            .Train(Groups(12, negatives: 2), new TrainingHooks(Evaluate: (_, _) => metrics.Dequeue()));

        Assert.True(result.StoppedEarly);
        Assert.Equal(3, result.Steps);
        Assert.Equal(1, result.BestStep);
        Assert.Equal(0.5, result.BestMetric);
        Assert.Equal([1, 2, 3], result.DevCurve.Select(e => e.Step));
        var best = new TinyCrossEncoder();
        CrossEncoderTrainer.LoadWeights(Path.Combine(dir + "-checkpoints", "best-00000001", "model.safetensors"), best);
        Assert.Equal(best.FlatWeights(), model!.FlatWeights());
        Assert.Equal([dir], model.SavedFolders);
    }

    [Fact]
    public void Train_Progress_ReportsEveryUpdateWithScheduledRate()
    {
        // 4 rows, batch 2 -> 2 updates per epoch, 2 epochs -> 4 updates; warmup ceil(4 * 0.25) = 1.
        // Rates: update 0: 0/1 * peak = 0; then (4 - k) / 3 * 1e-3: 1e-3, 6.667e-4, 3.333e-4.
        var reports = new List<TrainingProgress>();
        var options = TinyOptions(TestPaths.NewTempDir()) with { Epochs = 2, WarmupRatio = 0.25 };
        new CrossEncoderTrainer(options, _ => new TinyCrossEncoder(), new HashingPairEncoder())
            .Train(Groups(4, negatives: 1), new TrainingHooks(Progress: new SyncProgress<TrainingProgress>(reports.Add)));

        Assert.Equal([1, 2, 3, 4], reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.Equal(4, r.TotalSteps));
        Assert.Equal([0, 0, 1, 1], reports.Select(r => r.Epoch));
        Assert.Equal([0, 1e-3, 2e-3 / 3, 1e-3 / 3], reports.Select(r => Math.Round(r.LearningRate, 12)), new RoundedComparer());
        Assert.All(reports, r => Assert.True(r.Loss > 0 && r.PairsPerSecond > 0));
    }

    [Fact]
    public void Train_ManyUpdates_LossFalls()
    {
        var losses = new List<double>();
        var options = TinyOptions(TestPaths.NewTempDir()) with { Epochs = 8, Loss = LossKind.ListwiseSoftmax, WarmupRatio = 0 };
        new CrossEncoderTrainer(options, _ => new TinyCrossEncoder(), new HashingPairEncoder())
            .Train(Groups(12, negatives: 2), new TrainingHooks(Progress: new SyncProgress<TrainingProgress>(p => losses.Add(p.Loss))));
        // 6 updates per epoch, 48 in all. Chance level of a 3-way softmax is ln 3 = 1.0986.
        Assert.Equal(48, losses.Count);
        Assert.True(losses.TakeLast(6).Average() < losses.Take(6).Average() - 0.2, $"first {losses.Take(6).Average():0.000}, last {losses.TakeLast(6).Average():0.000}");
    }

    [Fact]
    public void Train_ExistingCheckpointsWithoutResume_Throws()
    {
        var dir = TestPaths.NewTempDir();
        var options = TinyOptions(dir);
        var groups = Groups(2, negatives: 1);
        new CrossEncoderTrainer(options, _ => new TinyCrossEncoder(), new HashingPairEncoder()).Train(groups, new TrainingHooks());
        var ex = Assert.Throws<InvalidInputException>(() =>
            new CrossEncoderTrainer(options with { Overwrite = true }, _ => new TinyCrossEncoder(), new HashingPairEncoder()).Train(groups, new TrainingHooks()));
        Assert.Equal($"'{dir}-checkpoints' already holds checkpoint 'checkpoint-00000001' of an earlier run. Pass --resume to continue it, or choose another output folder.", ex.Message);
    }

    [Fact]
    public void Train_ResumeWithChangedLearningRate_Throws()
    {
        var dir = TestPaths.NewTempDir();
        var groups = Groups(2, negatives: 1);
        new CrossEncoderTrainer(TinyOptions(dir), _ => new TinyCrossEncoder(), new HashingPairEncoder()).Train(groups, new TrainingHooks());
        var ex = Assert.Throws<InvalidInputException>(() =>
            new CrossEncoderTrainer(TinyOptions(dir) with { LearningRate = 5e-4, Overwrite = true }, _ => new TinyCrossEncoder(), new HashingPairEncoder()) { Resume = true }
                .Train(groups, new TrainingHooks()));
        Assert.Contains("learning rate: checkpoint 0.001, now 0.0005", ex.Message);
    }

    [Fact]
    public void Train_ResumeWithOtherDataSettings_ThrowsNamingBothValues()
    {
        var dir = TestPaths.NewTempDir();
        var groups = Groups(2, negatives: 1);
        var sentences = new Dictionary<string, string> { ["--pseudo-queries"] = "sentences" };
        new CrossEncoderTrainer(TinyOptions(dir) with { DataSettings = sentences }, _ => new TinyCrossEncoder(), new HashingPairEncoder()).Train(groups, new TrainingHooks());
        var titles = new Dictionary<string, string> { ["--pseudo-queries"] = "titles" };
        var ex = Assert.Throws<InvalidInputException>(() =>
            new CrossEncoderTrainer(TinyOptions(dir) with { DataSettings = titles, Overwrite = true }, _ => new TinyCrossEncoder(), new HashingPairEncoder()) { Resume = true }
                .Train(groups, new TrainingHooks()));
        Assert.Equal($"Cannot resume from '{dir}-checkpoints{Path.DirectorySeparatorChar}checkpoint-00000001': the run's settings or data changed (--pseudo-queries: checkpoint sentences, now titles). " +
            "Resume with the original settings and data, or start a new run in another folder.", ex.Message);
    }

    [Fact]
    public void Train_ListwiseLossOnLabeledPairs_Throws()
    {
        var options = TinyOptions(TestPaths.NewTempDir()) with { Loss = LossKind.ListwiseSoftmax };
        var ex = Assert.Throws<InvalidInputException>(() =>
            new CrossEncoderTrainer(options, _ => new TinyCrossEncoder(), new HashingPairEncoder()).Train(
                [new Rerank.Training.Data.LabeledPair("q", "query", new("d", "doc"), 1f)], new TrainingHooks()));
        Assert.StartsWith("Loss listwise ranks a positive against negatives", ex.Message); // the --loss value a user types
    }

    [Fact]
    public void Train_Bf16OnCpu_Throws()
    {
        var options = TinyOptions(TestPaths.NewTempDir()) with { Precision = TrainingPrecision.Bf16 };
        var ex = Assert.Throws<InvalidInputException>(() =>
            new CrossEncoderTrainer(options, _ => new TinyCrossEncoder(), new HashingPairEncoder()).Train(Groups(2, 1), new TrainingHooks()));
        Assert.Equal("Precision bf16 needs CUDA; this run is on the CPU. Use --precision fp32, or install a CUDA libtorch package and use --device cuda.", ex.Message);
    }

    private sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-12;
        public int GetHashCode(double obj) => 0;
    }
}
