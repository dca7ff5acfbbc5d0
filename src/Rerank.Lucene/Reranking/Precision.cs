namespace Rerank.Lucene.Reranking;

/// <summary>Numeric precision of cross-encoder inference.</summary>
public enum Precision
{
    /// <summary>
    /// Chosen when the model is loaded (the default): <see cref="InferenceEngineSelection.AutoCpuPrecision"/> on a CPU
    /// with 8-bit dot-product instructions (x86 AVX-512 VNNI or AVX-VNNI, Arm dot product), else <see cref="Fp32"/>;
    /// on CUDA, <see cref="Fp32"/>. Today that is always fp32: int8 is faster but changes rankings (docs/BENCHMARKS.md).
    /// <see cref="CrossEncoder.Precision"/> says what was chosen.
    /// </summary>
    Auto,

    /// <summary>32-bit floats: the reference.</summary>
    Fp32,

    /// <summary>
    /// bfloat16 weights and activations (TorchSharp), logits returned as float32. Faster on CPUs with
    /// AVX-512 bf16 (measured in docs/BENCHMARKS.md); use it only where the ranking-quality check there holds.
    /// </summary>
    Bf16,

    /// <summary>
    /// Dynamic int8 quantization in ONNX Runtime on the CPU: int8 weights per output channel, activations
    /// quantized per batch at run time (so a pair's score can differ slightly with its batch-mates).
    /// </summary>
    Int8,
}
