namespace Rerank.Training.Trainer;

/// <summary>
/// The trainer's own state, written as <c>trainer_state.json</c> in every checkpoint: where the
/// run is in the data, the best dev metric so far, the dev curve, and the settings that shape the
/// trajectory (checked on resume).
/// </summary>
internal sealed class TrainerState
{
    /// <summary>Optimizer updates done; update number <c>Step</c> is the next to run.</summary>
    public int Step { get; set; }

    /// <summary>The current epoch, 0-based.</summary>
    public int Epoch { get; set; }

    /// <summary>Index of the next batch to train in <see cref="EpochOrder"/>.</summary>
    public int NextBatchIndex { get; set; }

    /// <summary>Row indices per batch for the current epoch (the shuffled order), or null before the epoch is planned.</summary>
    public int[][]? EpochOrder { get; set; }

    /// <summary>Sum of step losses since the last evaluation (for the dev curve's training-loss column).</summary>
    public double LossSinceEval { get; set; }

    /// <summary>Steps summed in <see cref="LossSinceEval"/>.</summary>
    public int StepsSinceEval { get; set; }

    /// <summary>The best dev metric so far, or null.</summary>
    public double? BestMetric { get; set; }

    /// <summary>The step of <see cref="BestMetric"/>, or null.</summary>
    public int? BestStep { get; set; }

    /// <summary>Evaluations in a row without improvement.</summary>
    public int EvalsWithoutImprovement { get; set; }

    /// <summary>The step of the last evaluation, or null.</summary>
    public int? LastEvalStep { get; set; }

    /// <summary>Every evaluation so far.</summary>
    public List<DevEvaluation> DevCurve { get; set; } = [];

    /// <summary>The settings that determine the trajectory; a resume with different values is refused.</summary>
    public Dictionary<string, string> Fingerprint { get; set; } = [];

    /// <summary>The seed of the System.Random that shuffles an epoch (see <see cref="BatchPlanner.EpochSeed"/>); recorded for inspection.</summary>
    public int ShuffleSeed { get; set; }
}
