using Rerank.Lucene.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Reranking;

/// <summary>
/// The device a model runs on, decided before the model is built, so that ONNX Runtime on the CPU never loads libtorch:
/// <c>cpu</c> needs no libtorch unless the TorchSharp engine does; <c>cuda</c> always needs it; <c>auto</c> asks libtorch
/// for CUDA when the TorchSharp engine is needed anyway, or when libtorch and its CUDA library (libtorch_cuda.so) are beside
/// the program and load; otherwise it takes the CPU without loading libtorch (saying why when libtorch is missing).
/// </summary>
/// <param name="IsCuda">Whether the device is CUDA.</param>
/// <param name="Name">The device's name, e.g. "cpu" or "cuda:0".</param>
/// <param name="Torch">The TorchSharp device when libtorch was loaded for it; null when it was not.</param>
/// <param name="Note">Why auto took the CPU without libtorch (for the engine description); null otherwise.</param>
internal sealed record InferenceDevice(bool IsCuda, string Name, Device? Torch, string? Note)
{
    /// <summary>
    /// Decides the device for a <c>--device</c> choice.
    /// </summary>
    /// <param name="choice">auto, cpu, cuda or cuda:N (case-insensitive); null means auto.</param>
    /// <param name="torchUse">Why the TorchSharp engine is certain to run, e.g. "The TorchSharp engine (requested)"; null when
    /// ONNX Runtime may (the engine is auto or onnxruntime, the precision not bf16, the model exportable).</param>
    /// <exception cref="InvalidInputException">The choice is unknown; CUDA is asked for but not available; or libtorch is
    /// needed and does not load (one message naming the use, the missing library and its package).</exception>
    public static InferenceDevice Resolve(string? choice, string? torchUse)
    {
        var normalized = (choice ?? "auto").Trim().ToLowerInvariant();
        var isCuda = normalized == "cuda" || normalized.StartsWith("cuda:", StringComparison.Ordinal);
        if (normalized != "auto" && normalized != "cpu" && !isCuda)
            throw new InvalidInputException($"Unknown device '{choice}'; expected auto, cpu, cuda or cuda:N.");

        if (normalized == "cpu" && torchUse is null) return new InferenceDevice(false, "cpu", null, null);
        if (normalized == "auto" && torchUse is null)
        {
            // libtorch is loaded to ask for CUDA only where CUDA can be had: the CPU libtorch package has no libtorch_cuda.so.
            if (TorchRuntime.AbsentNativeFiles(AppContext.BaseDirectory, OperatingSystem.IsLinux()) is { } absent)
                return new InferenceDevice(false, "cpu", null, $"device auto: cpu, as libtorch is not here: {absent.Short}");
            if (OperatingSystem.IsLinux() && !TorchRuntime.HasCudaLibrary(AppContext.BaseDirectory))
                return new InferenceDevice(false, "cpu", null, null);
            if (TorchRuntime.LoadFailure() is { } failure)
                return new InferenceDevice(false, "cpu", null, $"device auto: cpu, as libtorch is not loadable: {failure}");
        }

        TorchRuntime.Require(torchUse ?? (isCuda ? $"Device '{choice}'" : "Device auto (to look for CUDA)"));
        var device = TorchRuntime.SelectDevice(normalized);
        return new InferenceDevice(device.type == DeviceType.CUDA, device.ToString(), device, null);
    }

    /// <summary>The TorchSharp device, loading libtorch for <paramref name="use"/> if it was not loaded for the choice.</summary>
    /// <exception cref="InvalidInputException">libtorch does not load.</exception>
    public Device TorchDevice(string use)
    {
        if (Torch is not null) return Torch;
        TorchRuntime.Require(use);
        return TorchRuntime.SelectDevice(Name);
    }
}
