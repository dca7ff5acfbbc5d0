using Rerank.Training.Losses;

namespace Rerank.Training.Trainer;

/// <summary>
/// Every knob of a fine-tuning run, each with its default. Defaults follow the Sentence
/// Transformers reranker guide and Hugging Face's Trainer unless a comment says otherwise.
/// </summary>
/// <example>
/// <code>
/// var options = new TrainingOptions { OutputDirectory = "./my-reranker", Epochs = 1, Seed = 12 };
/// </code>
/// </example>
public sealed record TrainingOptions
{
    /// <summary>Folder of the final model (Hugging Face layout plus README.md). Required.</summary>
    public string OutputDirectory { get; init; } = "";

    /// <summary>
    /// Folder of the resumable checkpoints and the best-so-far weights; default the sibling
    /// <c>{OutputDirectory}-checkpoints</c>. Not inside the model folder: saving the model replaces
    /// that folder as a whole (atomically), and a model folder should not ship checkpoints.
    /// </summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Peak learning rate; default 2e-5 (the guide's value for a pretrained cross-encoder).</summary>
    public double LearningRate { get; init; } = 2e-5;

    /// <summary>AdamW decoupled weight decay on weights (not on biases or LayerNorm); default 0.01 as in the guide.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>AdamW first-moment decay; default 0.9.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW second-moment decay; default 0.999.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>AdamW epsilon; default 1e-8.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Fraction of the optimizer steps spent warming the rate up from 0; default 0.1.</summary>
    public double WarmupRatio { get; init; } = 0.1;

    /// <summary>Clip gradients to this global L2 norm before every update; default 1.0 (HF); 0 disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Training rows per forward pass (a row is one query with its candidates); default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Micro-batches whose gradients add up to one optimizer update; default 1.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Maximum tokens of an encoded (query, document) pair; default 256.</summary>
    public int MaxLength { get; init; } = 256;

    /// <summary>Passes over the training rows; default 1. Ignored when <see cref="MaxSteps"/> is set.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Stop after this many optimizer updates (overrides <see cref="Epochs"/>); default null.</summary>
    public int? MaxSteps { get; init; }

    /// <summary>The objective; default binary cross-entropy, the guide's recommendation for hard negatives.</summary>
    public LossKind Loss { get; init; } = LossKind.BinaryCrossEntropy;

    /// <summary>
    /// Negatives per positive in a training row; default 4. The positives of a group take
    /// consecutive slices of its negatives, wrapping around when it holds fewer than
    /// positives × this (see <see cref="TrainingRows.FromGroups"/>); rows with fewer are padded and masked.
    /// </summary>
    public int NegativesPerPositive { get; init; } = 4;

    /// <summary>
    /// Positive weight of binary cross-entropy; default null = the number of negatives per positive
    /// actually present in the training rows, which balances the two classes.
    /// </summary>
    public double? PositiveWeight { get; init; }

    /// <summary>The one seed of every random choice: head init, dropout, shuffling; default 12.</summary>
    public int Seed { get; init; } = 12;

    /// <summary>Where to train; default auto.</summary>
    public TrainingDevice Device { get; init; } = TrainingDevice.Auto;

    /// <summary>Arithmetic precision; default fp32 (bf16 needs CUDA).</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;

    /// <summary>Run the validation callback every this many optimizer steps (and at the end); default 0 = only at the end of training.</summary>
    public int EvalEverySteps { get; init; }

    /// <summary>Stop after this many evaluations in a row without a better dev metric; default null = never stop early.</summary>
    public int? Patience { get; init; }

    /// <summary>Write a resumable checkpoint every this many optimizer steps; default 500; 0 = only at the end.</summary>
    public int CheckpointEverySteps { get; init; } = 500;

    /// <summary>Rows per bucket when sorting by length: batches are cut from length-sorted chunks of this many batches; default 50.</summary>
    public int LengthBucketBatches { get; init; } = 50;

    /// <summary>Pairs per forward pass when the validation callback scores dev pairs; default 64.</summary>
    public int EvalBatchSize { get; init; } = 64;

    /// <summary>After training, write the best-on-dev weights (not the last) to the model folder; default true.</summary>
    public bool LoadBestModelAtEnd { get; init; } = true;

    /// <summary>
    /// Replace an existing model folder at <see cref="OutputDirectory"/>; default false. A folder that holds
    /// anything but a model folder's files is never replaced (see <see cref="Rerank.Lucene.Output.OutputTarget"/>).
    /// </summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// Settings of the training data that a resumed run must share with its checkpoint (e.g. <c>--pseudo-queries</c>:
    /// <c>sentences</c>), name to value; checked on resume with the trainer's own settings. Default: none.
    /// </summary>
    public IReadOnlyDictionary<string, string> DataSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Save the final model.safetensors in float16 (half the size). Default false (float32).</summary>
    public bool SaveFloat16 { get; init; }

    /// <summary>The resolved checkpoint folder.</summary>
    public string ResolvedCheckpointDirectory => CheckpointDirectory ?? Path.TrimEndingDirectorySeparator(Path.GetFullPath(OutputDirectory)) + "-checkpoints";
}
