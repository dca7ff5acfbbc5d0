using Rerank.Lucene.Reranking;

namespace Rerank.Lucene.Embedding;

/// <summary>How a <see cref="BiEncoder"/> runs. Every member has a working default.</summary>
public sealed record BiEncoderOptions
{
    /// <summary>
    /// Texts per forward pass. Default 32: texts are sorted by length and each batch is padded only
    /// to its longest text, so on 2 CPU cores a larger batch buys nothing.
    /// </summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>auto (default: CUDA when available, else CPU), cpu, cuda or cuda:N.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>CPU threads for libtorch and ONNX Runtime; default null leaves each its own choice (one per core).</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// The engine, chosen as for the cross-encoder (<see cref="InferenceEngineSelection.Resolve"/>): auto (default) is
    /// ONNX Runtime on the CPU for BERT models, TorchSharp on CUDA or for a model the export does not cover.
    /// </summary>
    public InferenceEngine Engine { get; init; } = InferenceEngine.Auto;

    /// <summary>
    /// auto (default: fp32), fp32 or int8 (ONNX Runtime only, opt-in: it changes the vectors, and int8 vectors are
    /// not mixed with fp32 ones, see <see cref="EmbeddingInfo.RequireCompatible"/>). bf16 is not offered for the embedder.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Auto;

    /// <summary>
    /// Why <see cref="Precision"/> has its value when the caller did not ask for one (e.g. "the index's int8 vectors",
    /// set by <see cref="EmbeddingInfo.ForQueries"/>); shown in <see cref="BiEncoder.EngineDescription"/> instead of "requested".
    /// Null (default) when the precision was asked for or is auto.
    /// </summary>
    public string? PrecisionSource { get; init; }
}
