using System.Runtime.InteropServices;

namespace Rerank.Lucene.Reranking;

/// <summary>
/// Resolves <see cref="CrossEncoderOptions.Engine"/> and <see cref="CrossEncoderOptions.Precision"/> (either may be
/// auto) into the engine and precision a <see cref="CrossEncoder"/> runs with, for the device it was given.
/// </summary>
/// <remarks>
/// Auto rules (measurements in docs/BENCHMARKS.md, "Cross-encoder inference speed"): on the CPU the
/// engine is ONNX Runtime, whose fp32 forward was faster than libtorch's on every CPU measured; the precision
/// is <see cref="AutoCpuPrecision"/> where the CPU has 8-bit dot-product instructions, else fp32. On CUDA:
/// TorchSharp fp32. Explicit choices are honoured or refused, never replaced: int8 on CUDA or in TorchSharp,
/// and bf16 in ONNX Runtime, are refused.
/// </remarks>
public static class InferenceEngineSelection
{
    /// <summary>
    /// The precision auto picks on a CPU with 8-bit dot-product instructions. fp32: int8 was faster but
    /// did not meet the ranking-equality bar (|Δ nDCG@10| ≤ 0.002) everywhere; see docs/BENCHMARKS.md.
    /// </summary>
    public static Precision AutoCpuPrecision { get; } = Precision.Fp32;

    /// <summary>True when this CPU has 8-bit integer dot-product instructions (x86 AVX-512 VNNI or AVX-VNNI, Arm dot product).</summary>
    public static bool CpuHasInt8DotProduct { get; } = DetectInt8DotProduct();

    /// <summary>
    /// The engine and precision for a device.
    /// </summary>
    /// <param name="engine">The requested engine (auto allowed).</param>
    /// <param name="precision">The requested precision (auto allowed).</param>
    /// <param name="isCuda">Whether the selected device is CUDA.</param>
    /// <param name="hasInt8DotProduct">Whether the CPU has 8-bit dot-product instructions (<see cref="CpuHasInt8DotProduct"/>).</param>
    /// <param name="onnxExportable">Whether the model can be exported for ONNX Runtime (BERT only); when it cannot,
    /// auto picks TorchSharp and says so.</param>
    /// <returns>The resolved pair (never auto) and a short reason for the log.</returns>
    /// <exception cref="InvalidInputException">The combination cannot run.</exception>
    public static (InferenceEngine Engine, Precision Precision, string Reason) Resolve(
        InferenceEngine engine, Precision precision, bool isCuda, bool hasInt8DotProduct, bool onnxExportable = true)
    {
        string reason;
        if (engine == InferenceEngine.Auto && !onnxExportable && !isCuda)
        {
            engine = InferenceEngine.TorchSharp;
            if (precision == Precision.Auto)
                return (engine, Precision.Fp32, "auto: torchsharp fp32, as the ONNX Runtime engine exports BERT models only");
        }
        if (precision == Precision.Auto)
        {
            if (isCuda || engine == InferenceEngine.TorchSharp)
            {
                precision = Precision.Fp32;
                reason = isCuda ? "auto: fp32 on CUDA" : "auto: fp32 (TorchSharp requested)";
            }
            else if (hasInt8DotProduct && AutoCpuPrecision == Precision.Int8)
            {
                precision = Precision.Int8;
                reason = "auto: int8 on a CPU with int8 dot-product instructions";
            }
            else
            {
                precision = Precision.Fp32;
                reason = hasInt8DotProduct
                    ? "auto: fp32 on the CPU; int8 is faster here but opt-in (--precision int8), as it changes rankings"
                    : "auto: fp32 (this CPU has no int8 dot-product instructions)";
            }
        }
        else
        {
            reason = "requested";
        }

        if (engine == InferenceEngine.Auto)
            engine = isCuda || precision == Precision.Bf16 ? InferenceEngine.TorchSharp : InferenceEngine.OnnxRuntime;

        RequireCompatible(engine, precision, isCuda);
        return (engine, precision, reason);
    }

    /// <summary>
    /// Refuses an engine, precision and device asked for together that cannot run together (ONNX Runtime on CUDA or in bf16,
    /// int8 on TorchSharp), before anything is loaded: so that the refusal is the same whether libtorch is present or not.
    /// </summary>
    /// <param name="engine">The engine asked for (auto: the one auto would take wherever the request alone decides it).</param>
    /// <param name="precision">The precision asked for.</param>
    /// <param name="device">The <c>--device</c> choice (auto, cpu, cuda, cuda:N; null for auto).</param>
    /// <exception cref="InvalidInputException">The combination cannot run.</exception>
    public static void RequireCompatibleRequest(InferenceEngine engine, Precision precision, string? device)
    {
        var name = (device ?? "auto").Trim().ToLowerInvariant();
        var isCuda = name == "cuda" || name.StartsWith("cuda:", StringComparison.Ordinal);
        if (engine == InferenceEngine.Auto)
            engine = isCuda || precision == Precision.Bf16 ? InferenceEngine.TorchSharp
                : precision == Precision.Int8 ? InferenceEngine.OnnxRuntime : InferenceEngine.Auto;
        if (engine != InferenceEngine.Auto) RequireCompatible(engine, precision, isCuda);
    }

    private static void RequireCompatible(InferenceEngine engine, Precision precision, bool isCuda)
    {
        if (engine == InferenceEngine.OnnxRuntime && isCuda)
            throw new InvalidInputException("The ONNX Runtime engine runs on the CPU only; use --device cpu, or the TorchSharp engine on CUDA.");
        if (engine == InferenceEngine.OnnxRuntime && precision == Precision.Bf16)
            throw new InvalidInputException("Precision bf16 runs on TorchSharp only; use --precision fp32 or int8 with ONNX Runtime, or the TorchSharp engine for bf16.");
        if (engine == InferenceEngine.TorchSharp && precision == Precision.Int8)
            throw new InvalidInputException(isCuda
                ? "Precision int8 runs on the CPU only (ONNX Runtime); use --precision fp32 or bf16 on CUDA, or --device cpu."
                : "Precision int8 runs on ONNX Runtime only; use the ONNX Runtime engine (the CPU default) or --precision fp32/bf16.");
    }

    /// <summary>The lower-case name used on the command line and in JSON: auto, fp32, bf16, int8.</summary>
    public static string Name(Precision precision) => precision.ToString().ToLowerInvariant();

    /// <summary>The lower-case name used in logs and JSON: auto, torchsharp, onnxruntime.</summary>
    public static string Name(InferenceEngine engine) => engine.ToString().ToLowerInvariant();

    private static bool DetectInt8DotProduct()
    {
        if (RuntimeInformation.ProcessArchitecture == Architecture.Arm64) return System.Runtime.Intrinsics.Arm.Dp.IsSupported;
        if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported) return true;
        try
        {
            // AVX-512 VNNI has no .NET IsSupported of its own on every runtime we target; Linux lists it.
            const string cpuinfo = "/proc/cpuinfo";
            if (!File.Exists(cpuinfo)) return false;
            foreach (var line in File.ReadLines(cpuinfo))
            {
                if (!line.StartsWith("flags", StringComparison.Ordinal)) continue;
                return line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Contains("avx512_vnni");
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return false;
    }
}
