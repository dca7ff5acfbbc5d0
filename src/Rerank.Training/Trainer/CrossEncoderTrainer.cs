using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Rerank.Lucene;
using Rerank.Lucene.Modeling;
using Rerank.Training.Data;
using Rerank.Training.Losses;
using Rerank.Training.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rerank.Training.Trainer;

/// <summary>
/// Fine-tunes a cross-encoder: AdamW with a linear warmup/decay schedule, gradient clipping and
/// accumulation, length-bucketed batches shuffled per epoch, periodic validation with best-model
/// tracking and early stopping, atomic resumable checkpoints, and a Hugging Face model folder with
/// a model card at the end. Everything random derives from <see cref="TrainingOptions.Seed"/>, so a
/// run resumed from a checkpoint ends with the same weights as an uninterrupted one.
/// </summary>
/// <example>
/// <code>
/// var trainer = new CrossEncoderTrainer(options, device => LoadModel(baseFolder, device), pairEncoder);
/// var result = trainer.Train(groups, new TrainingHooks(Evaluate: scorer => DevNdcgAt10(scorer)), ct);
/// </code>
/// </example>
internal sealed class CrossEncoderTrainer
{
    private const string CheckpointPrefix = "checkpoint";
    private const string BestPrefix = "best";
    private const string WeightsFile = "model.safetensors";
    private const string OptimizerFile = "optimizer.bin";
    private const string RngFile = "rng_state.bin";
    private const string StateFile = "trainer_state.json";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private readonly TrainingOptions _options;
    private readonly Func<Device, ITrainableCrossEncoder> _createModel;
    private readonly IPairBatchEncoder _encoder;

    /// <summary>Creates a trainer.</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="createModel">
    /// Builds the starting model on the given device. It is called right after
    /// <c>torch.manual_seed(Seed)</c>, so a freshly initialised classification head is seeded.
    /// </param>
    /// <param name="encoder">Encodes (query, document) pairs.</param>
    public CrossEncoderTrainer(TrainingOptions options, Func<Device, ITrainableCrossEncoder> createModel, IPairBatchEncoder encoder)
    {
        Validate(options);
        _options = options;
        _createModel = createModel;
        _encoder = encoder;
    }

    /// <summary>
    /// Resume from the newest checkpoint in <see cref="TrainingOptions.ResolvedCheckpointDirectory"/>
    /// instead of starting over; set by <c>--resume</c>.
    /// </summary>
    public bool Resume { get; init; }

    /// <summary>Trains on query groups (one row per positive, with its negatives).</summary>
    public TrainingResult Train(IReadOnlyList<TrainingGroup> groups, TrainingHooks hooks, CancellationToken ct = default) =>
        Train(TrainingRows.FromGroups(groups, _options.NegativesPerPositive), hooks, ct);

    /// <summary>Trains on labelled pairs (binary cross-entropy only).</summary>
    public TrainingResult Train(IReadOnlyList<LabeledPair> pairs, TrainingHooks hooks, CancellationToken ct = default)
    {
        if (_options.Loss != LossKind.BinaryCrossEntropy)
        {
            throw new InvalidInputException($"Loss {(_options.Loss == LossKind.ListwiseSoftmax ? "listwise" : "pairwise")} ranks a positive against negatives, but labelled pairs have no groups. Use --loss bce with labelled pairs, or give queries with positives and negatives.");
        }
        return Train(TrainingRows.FromPairs(pairs), hooks, ct);
    }

    /// <summary>
    /// Trains on prepared rows. When cancelled, finishes the current update, saves it as a checkpoint
    /// and throws <see cref="OperationCanceledException"/>; a validation in progress is abandoned after
    /// its update is saved, and <see cref="Resume"/> runs that validation before the next update.
    /// </summary>
    internal TrainingResult Train(IReadOnlyList<TrainingRow> rows, TrainingHooks hooks, CancellationToken ct)
    {
        if (rows.Count == 0) throw new InvalidInputException("There is nothing to train on: the training data has no rows.");
        var o = _options;
        var device = ResolveDevice(o.Device);
        if (o.Precision == TrainingPrecision.Bf16 && device.type != DeviceType.CUDA)
        {
            throw new InvalidInputException("Precision bf16 needs CUDA; this run is on the CPU. Use --precision fp32, or install a CUDA libtorch package and use --device cuda.");
        }

        torch.manual_seed(o.Seed);
        var model = _createModel(device);
        var module = model.Module;
        module.train();

        double? positiveWeight = o.Loss == LossKind.BinaryCrossEntropy ? o.PositiveWeight ?? TrainingRows.BalancingPositiveWeight(rows) : null;
        var loss = RankingLosses.Create(o.Loss, positiveWeight ?? 1.0);
        var lengthKeys = rows.Select(r => r.LengthKey).ToArray();
        var pairsPerEpoch = rows.Sum(r => r.Documents.Count);
        var batchesPerEpoch = (rows.Count + o.BatchSize - 1) / o.BatchSize;
        var stepsPerEpoch = (batchesPerEpoch + o.GradientAccumulationSteps - 1) / o.GradientAccumulationSteps;
        var totalSteps = o.MaxSteps ?? o.Epochs * stepsPerEpoch;
        var schedule = new LinearWarmupSchedule(o.LearningRate, totalSteps, LinearWarmupSchedule.WarmupStepsFor(totalSteps, o.WarmupRatio));

        var named = module.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        var parameters = named.Where(p => p.parameter.requires_grad).Select(p => p.parameter).ToList();
        using var optimizer = AdamWFactory.Create(named, o.LearningRate, o.WeightDecay, o.Beta1, o.Beta2, o.Epsilon);

        var store = new CheckpointStore(o.ResolvedCheckpointDirectory);
        var fingerprint = Fingerprint(rows.Count, pairsPerEpoch, totalSteps, positiveWeight);
        TrainerState state;
        if (Resume)
        {
            var latest = store.Latest(CheckpointPrefix)
                ?? throw new InvalidInputException(NoCheckpointToResume(store.Root), store.Root);
            state = LoadCheckpoint(latest, module, optimizer, device, fingerprint);
        }
        else
        {
            if (store.Latest(CheckpointPrefix) is { } existing)
            {
                throw new InvalidInputException($"'{store.Root}' already holds checkpoint '{Path.GetFileName(existing)}' of an earlier run. Pass --resume to continue it, or choose another output folder.", store.Root);
            }
            state = new TrainerState { Fingerprint = fingerprint, ShuffleSeed = BatchPlanner.EpochSeed(o.Seed, 0) };
        }

        var step = new TrainingStep(model, loss, _encoder, parameters, optimizer, o, device);
        var scorer = new ModuleScorer(model, _encoder, device, o);
        var clock = Stopwatch.StartNew();
        var startStep = state.Step;
        long pairsDone = 0;
        var stoppedEarly = false;
        var lastSavedStep = Resume ? state.Step : -1;

        // A run cancelled during a validation saved the update before it (below); that validation runs first now,
        // so the dev curve, the best checkpoint and early stopping are those of a run never interrupted.
        if (Resume && ValidationDue(hooks, state) && state.LastEvalStep != state.Step)
        {
            ValidateOrSave(hooks.Evaluate!, scorer, module, optimizer, state, store, ref lastSavedStep, ct);
            stoppedEarly = o.Patience is { } patience && state.EvalsWithoutImprovement >= patience;
            clock.Restart(); // pairs/s and the ETA count training only, not this validation
        }

        while (state.Step < totalSteps && !stoppedEarly)
        {
            state.EpochOrder ??= BatchPlanner.Plan(lengthKeys, o.BatchSize, o.LengthBucketBatches, o.Seed, state.Epoch);
            state.ShuffleSeed = BatchPlanner.EpochSeed(o.Seed, state.Epoch);
            var order = state.EpochOrder;
            while (state.NextBatchIndex < order.Length && state.Step < totalSteps)
            {
                var first = state.NextBatchIndex;
                var count = Math.Min(o.GradientAccumulationSteps, order.Length - first);
                var learningRate = schedule.LearningRate(state.Step);
                // Dropout draws from the global generator, reseeded from (seed, step) before each
                // update: the random stream of an update does not depend on what ran before it
                // (evaluations, a resume, or a CUDA generator whose state TorchSharp cannot read).
                torch.manual_seed(StepSeed(o.Seed, state.Step));
                var microBatches = new List<IReadOnlyList<TrainingRow>>(count);
                for (var k = 0; k < count; k++) microBatches.Add(order[first + k].Select(i => rows[i]).ToList());
                var stepPairs = microBatches.Sum(b => b.Sum(r => r.Documents.Count));
                var stepLoss = step.Run(microBatches, learningRate);
                state.NextBatchIndex += count;
                state.Step++;
                state.LossSinceEval += stepLoss;
                state.StepsSinceEval++;
                pairsDone += stepPairs;

                double? devMetric = null;
                if (ValidationDue(hooks, state))
                {
                    devMetric = ValidateOrSave(hooks.Evaluate!, scorer, module, optimizer, state, store, ref lastSavedStep, ct);
                    stoppedEarly = o.Patience is { } patience && state.EvalsWithoutImprovement >= patience;
                }
                if (o.CheckpointEverySteps > 0 && state.Step % o.CheckpointEverySteps == 0)
                {
                    SaveCheckpoint(store, module, optimizer, state);
                    lastSavedStep = state.Step;
                }
                Report(hooks.Progress, state, totalSteps, stepLoss, learningRate, clock, pairsDone, startStep, devMetric);
                if (stoppedEarly) break;
                if (ct.IsCancellationRequested)
                {
                    // Nothing lost: the finished update (and its validation, if one was due) goes into a
                    // checkpoint that --resume continues; a validation cancelled midway saved it already.
                    if (lastSavedStep != state.Step) SaveCheckpoint(store, module, optimizer, state);
                    ct.ThrowIfCancellationRequested();
                }
            }
            if (state.NextBatchIndex >= order.Length)
            {
                state.Epoch++;
                state.NextBatchIndex = 0;
                state.EpochOrder = null;
            }
        }

        if (hooks.Evaluate is not null && state.LastEvalStep != state.Step)
        {
            ValidateOrSave(hooks.Evaluate, scorer, module, optimizer, state, store, ref lastSavedStep, ct);
        }
        if (lastSavedStep != state.Step) SaveCheckpoint(store, module, optimizer, state);

        if (o.LoadBestModelAtEnd && store.Latest(BestPrefix) is { } bestFolder && state.BestStep != state.Step)
        {
            LoadWeights(Path.Combine(bestFolder, WeightsFile), module);
        }
        model.SaveModelFolder(o.OutputDirectory, o.SaveFloat16, o.Overwrite);
        var result = new TrainingResult(o.OutputDirectory, state.Step, stoppedEarly, state.BestMetric, state.BestStep,
            state.DevCurve.ToList(), positiveWeight, rows.Count, pairsPerEpoch);
        if (hooks.ModelCard is { } card) ModelCardWriter.Write(o.OutputDirectory, card, o, result, loss.Name);
        return result;
    }

    /// <summary>Why --resume cannot continue: <paramref name="checkpointFolder"/> holds no complete checkpoint.</summary>
    internal static string NoCheckpointToResume(string checkpointFolder) =>
        $"Cannot resume: '{checkpointFolder}' holds no complete checkpoint. Run without --resume to start from the base model.";

    /// <summary>The newest complete checkpoint of a run with these options: its update number and folder; null when there is none.</summary>
    internal static (int Step, string Folder)? LatestCheckpoint(TrainingOptions options)
    {
        var versions = new CheckpointStore(options.ResolvedCheckpointDirectory).List(CheckpointPrefix);
        return versions.Count == 0 ? null : versions[0];
    }

    /// <summary>
    /// Deletes the run's checkpoints (resumable checkpoints, best-so-far weights, temporary leftovers)
    /// and then the checkpoint folder if nothing else is in it. For after a successful run.
    /// </summary>
    internal static void RemoveCheckpoints(TrainingOptions options) =>
        new CheckpointStore(options.ResolvedCheckpointDirectory).RemoveAll([CheckpointPrefix, BestPrefix]);

    /// <summary>The seed of update <paramref name="step"/>'s random stream.</summary>
    internal static long StepSeed(int seed, int step) => unchecked(seed * 1_000_000_007L + step);

    /// <summary>Resolves auto to CUDA when available; refuses CUDA when it is not.</summary>
    internal static Device ResolveDevice(TrainingDevice requested) => requested switch
    {
        TrainingDevice.Cpu => CPU,
        TrainingDevice.Cuda when cuda.is_available() => CUDA,
        TrainingDevice.Cuda => throw new InvalidInputException("--device cuda was asked for, but TorchSharp sees no CUDA device. Install the CUDA libtorch package (libtorch-cuda-12.8-linux-x64) in place of libtorch-cpu-linux-x64, or use --device cpu."),
        _ => cuda.is_available() ? CUDA : CPU,
    };

    /// <summary>Whether the options ask for a validation after the update <paramref name="state"/> has just finished.</summary>
    private bool ValidationDue(TrainingHooks hooks, TrainerState state) =>
        hooks.Evaluate is not null && _options.EvalEverySteps > 0 && state.Step > 0 && state.Step % _options.EvalEverySteps == 0;

    /// <summary>
    /// Validates after the update just finished. When the run is cancelled midway (Ctrl-C during a long dev
    /// evaluation), the finished update is saved as a checkpoint before the cancellation goes on, without the
    /// validation, which <c>--resume</c> then runs first: no finished update is lost to a cancelled validation.
    /// </summary>
    private double ValidateOrSave(Func<IPairScorer, CancellationToken, double> evaluate, IPairScorer scorer, nn.Module module,
        optim.Optimizer optimizer, TrainerState state, CheckpointStore store, ref int lastSavedStep, CancellationToken ct)
    {
        try
        {
            return Evaluate(evaluate, scorer, module, state, store, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            if (lastSavedStep != state.Step) SaveCheckpoint(store, module, optimizer, state);
            lastSavedStep = state.Step;
            throw;
        }
    }

    private double Evaluate(Func<IPairScorer, CancellationToken, double> evaluate, IPairScorer scorer, nn.Module module,
        TrainerState state, CheckpointStore store, CancellationToken ct)
    {
        var metric = evaluate(scorer, ct);
        var trainLoss = state.StepsSinceEval == 0 ? double.NaN : state.LossSinceEval / state.StepsSinceEval;
        state.DevCurve.Add(new DevEvaluation(state.Step, state.Epoch, metric, trainLoss));
        state.LossSinceEval = 0;
        state.StepsSinceEval = 0;
        state.LastEvalStep = state.Step;
        if (state.BestMetric is null || metric > state.BestMetric)
        {
            state.BestMetric = metric;
            state.BestStep = state.Step;
            state.EvalsWithoutImprovement = 0;
            store.Save(BestPrefix, state.Step, folder => SaveWeights(Path.Combine(folder, WeightsFile), module));
        }
        else
        {
            state.EvalsWithoutImprovement++;
        }
        return metric;
    }

    private void Report(IProgress<TrainingProgress>? progress, TrainerState state, int totalSteps, double loss, double learningRate,
        Stopwatch clock, long pairsDone, int startStep, double? devMetric)
    {
        if (progress is null) return;
        var seconds = Math.Max(1e-9, clock.Elapsed.TotalSeconds);
        var pairsPerSecond = pairsDone / seconds;
        var stepsDone = state.Step - startStep;
        var eta = stepsDone == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(seconds / stepsDone * (totalSteps - state.Step));
        progress.Report(new TrainingProgress(state.Step, totalSteps, state.Epoch, loss, learningRate, pairsPerSecond, eta, devMetric));
    }

    private static void SaveCheckpoint(CheckpointStore store, nn.Module module, optim.Optimizer optimizer, TrainerState state)
    {
        store.Save(CheckpointPrefix, state.Step, folder =>
        {
            SaveWeights(Path.Combine(folder, WeightsFile), module);
            ((OptimizerHelper)optimizer).save_state_dict(Path.Combine(folder, OptimizerFile));
            using (var rng = torch.get_rng_state()) File.WriteAllBytes(Path.Combine(folder, RngFile), rng.data<byte>().ToArray());
            // Written last: a folder is complete once renamed, but the state file doubles as a marker.
            File.WriteAllText(Path.Combine(folder, StateFile), JsonSerializer.Serialize(state, JsonOptions));
        });
    }

    private static TrainerState LoadCheckpoint(string folder, nn.Module module, optim.Optimizer optimizer, Device device, Dictionary<string, string> fingerprint)
    {
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(folder, StateFile)))
            ?? throw new InvalidInputException($"Checkpoint '{folder}' has an empty {StateFile}.", folder);
        var differences = fingerprint
            .Where(kv => !state.Fingerprint.TryGetValue(kv.Key, out var saved) || saved != kv.Value)
            .Select(kv => $"{kv.Key}: checkpoint {state.Fingerprint.GetValueOrDefault(kv.Key, "(none)")}, now {kv.Value}")
            .ToList();
        if (differences.Count > 0)
        {
            throw new InvalidInputException($"Cannot resume from '{folder}': the run's settings or data changed ({string.Join("; ", differences)}). Resume with the original settings and data, or start a new run in another folder.", folder);
        }
        LoadWeights(Path.Combine(folder, WeightsFile), module);
        var helper = (OptimizerHelper)optimizer;
        helper.load_state_dict(Path.Combine(folder, OptimizerFile));
        helper.to(device);
        using (var rng = torch.tensor(File.ReadAllBytes(Path.Combine(folder, RngFile)), ScalarType.Byte)) torch.set_rng_state(rng);
        return state;
    }

    /// <summary>Writes every floating-point state-dict entry (parameters and buffers) as F32 safetensors (exact, for resume).</summary>
    internal static void SaveWeights(string path, nn.Module module)
    {
        var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var (name, t) in module.state_dict())
        {
            if (!t.is_floating_point()) continue;
            using var host = t.detach().to_type(ScalarType.Float32).cpu().contiguous();
            tensors[name] = new TensorData(host.shape, host.data<float>().ToArray());
        }
        SafeTensors.Write(path, tensors, SafeTensorsDType.F32);
    }

    /// <summary>Loads weights written by <see cref="SaveWeights"/>, strictly: missing or unexpected names are an error.</summary>
    internal static void LoadWeights(string path, nn.Module module)
    {
        var saved = SafeTensors.Read(path);
        var target = module.state_dict().Where(kv => kv.Value.is_floating_point()).ToDictionary(kv => kv.Key, kv => kv.Value);
        var missing = target.Keys.Where(k => !saved.ContainsKey(k)).ToList();
        var unexpected = saved.Keys.Where(k => !target.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            throw new InvalidDataException($"Weights '{path}' do not match the model: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].");
        }
        using var noGrad = no_grad();
        foreach (var (name, t) in target)
        {
            var (shape, values) = (saved[name].Shape, saved[name].Values);
            if (!shape.SequenceEqual(t.shape))
            {
                throw new InvalidDataException($"Weight '{name}' in '{path}' has shape [{string.Join(",", shape)}]; the model expects [{string.Join(",", t.shape)}].");
            }
            using var source = torch.tensor(values, shape);
            t.copy_(source);
        }
    }

    private Dictionary<string, string> Fingerprint(int rows, int pairs, int totalSteps, double? positiveWeight)
    {
        var o = _options;
        var inv = CultureInfo.InvariantCulture;
        var fingerprint = new Dictionary<string, string>
        {
            ["seed"] = o.Seed.ToString(inv),
            ["rows"] = rows.ToString(inv),
            ["pairs"] = pairs.ToString(inv),
            ["total steps"] = totalSteps.ToString(inv),
            ["learning rate"] = o.LearningRate.ToString("R", inv),
            ["batch size"] = o.BatchSize.ToString(inv),
            ["gradient accumulation"] = o.GradientAccumulationSteps.ToString(inv),
            ["loss"] = o.Loss.ToString(),
            ["positive weight"] = positiveWeight?.ToString("R", inv) ?? "-",
            ["max length"] = o.MaxLength.ToString(inv),
            ["warmup ratio"] = o.WarmupRatio.ToString("R", inv),
            ["weight decay"] = o.WeightDecay.ToString("R", inv),
            ["length buckets"] = o.LengthBucketBatches.ToString(inv),
        };
        foreach (var (name, value) in o.DataSettings) fingerprint[name] = value;
        return fingerprint;
    }

    private static void Validate(TrainingOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.OutputDirectory)) throw new InvalidInputException("No output folder was given. Pass --output <folder> for the trained model.");
        // Refused before hours of training, not after: the save at the end checks again.
        Rerank.Lucene.Output.OutputTarget.CheckFolder(o.OutputDirectory, Rerank.Lucene.Output.OutputKind.ModelFolder, o.Overwrite);
        void Positive(int value, string option) { if (value < 1) throw new InvalidInputException($"{option} must be >= 1; got {value}."); }
        Positive(o.BatchSize, "--batch-size");
        Positive(o.GradientAccumulationSteps, "--gradient-accumulation");
        Positive(o.MaxLength, "--max-length");
        Positive(o.EvalBatchSize, "--eval-batch-size");
        Positive(o.LengthBucketBatches, "--length-buckets");
        if (o.MaxSteps is null) Positive(o.Epochs, "--epochs"); else Positive(o.MaxSteps.Value, "--max-steps");
        if (!(o.LearningRate > 0)) throw new InvalidInputException($"--learning-rate must be > 0; got {o.LearningRate}.");
        if (o.WarmupRatio is < 0 or > 1) throw new InvalidInputException($"--warmup-ratio must be between 0 and 1; got {o.WarmupRatio}.");
        if (o.WeightDecay < 0) throw new InvalidInputException($"--weight-decay must be >= 0; got {o.WeightDecay}.");
        if (o.MaxGradNorm < 0) throw new InvalidInputException($"--max-grad-norm must be >= 0 (0 disables clipping); got {o.MaxGradNorm}.");
        if (o.NegativesPerPositive < 0) throw new InvalidInputException($"--negatives must be >= 0; got {o.NegativesPerPositive}.");
        if (o.EvalEverySteps < 0 || o.CheckpointEverySteps < 0) throw new InvalidInputException("--eval-steps and --checkpoint-steps must be >= 0 (0 = only at the end).");
        if (o.Patience is < 1) throw new InvalidInputException($"--patience must be >= 1; got {o.Patience}.");
        if (o.PositiveWeight is { } pw && !(pw > 0)) throw new InvalidInputException($"--pos-weight must be > 0; got {pw}.");
    }
}
