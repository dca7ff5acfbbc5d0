namespace Rerank.Training.Trainer;

/// <summary>Where training runs.</summary>
public enum TrainingDevice
{
    /// <summary>CUDA when TorchSharp sees a CUDA device (a CUDA libtorch package is installed), else CPU.</summary>
    Auto,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>The first CUDA device; an error when none is available.</summary>
    Cuda,
}
