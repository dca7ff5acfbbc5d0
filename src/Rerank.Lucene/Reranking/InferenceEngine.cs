namespace Rerank.Lucene.Reranking;

/// <summary>What runs the cross-encoder's forward pass.</summary>
public enum InferenceEngine
{
    /// <summary>
    /// Chosen when the model is loaded (the default): ONNX Runtime on the CPU for <see cref="Precision.Fp32"/>
    /// and <see cref="Precision.Int8"/>, TorchSharp (libtorch) on CUDA and for <see cref="Precision.Bf16"/>.
    /// </summary>
    Auto,

    /// <summary>TorchSharp over libtorch: CPU or CUDA, fp32 or bf16 (the engine training uses).</summary>
    TorchSharp,

    /// <summary>
    /// ONNX Runtime's CPU execution provider on a graph exported from the model folder when it is loaded
    /// (BERT cross-encoders only): fp32 or int8.
    /// </summary>
    OnnxRuntime,
}
