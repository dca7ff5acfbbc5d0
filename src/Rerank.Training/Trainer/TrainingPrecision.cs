namespace Rerank.Training.Trainer;

/// <summary>Arithmetic precision of the forward and backward passes. Master weights and optimizer state stay fp32.</summary>
public enum TrainingPrecision
{
    /// <summary>fp32 everywhere. The default, and the only choice on CPU.</summary>
    Fp32,

    /// <summary>
    /// bfloat16 activations with fp32 master weights (mixed precision). CUDA only: the project
    /// keeps mixed precision off the CPU (see ENVIRONMENT.md §5).
    /// </summary>
    Bf16,
}
