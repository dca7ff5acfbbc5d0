namespace Rerank.Lucene.Reranking;

/// <summary>How a <see cref="CrossEncoder"/> runs. Every member has a working default.</summary>
public sealed record CrossEncoderOptions
{
    /// <summary>
    /// Pairs per forward pass. Default 16: on 2 CPU cores batch 16 was never slower than 64, and with
    /// length-sorted batches little padding is wasted.
    /// </summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>
    /// Maximum tokens per pair, [CLS] and both [SEP] included; longer pairs are truncated longest-first.
    /// Default null: the length the model was trained with (<c>max_length</c> in <c>searchrerank.json</c>),
    /// else <c>model_max_length</c> of its <c>tokenizer_config.json</c> (what sentence-transformers' CrossEncoder
    /// truncates to), at most the model's max_position_embeddings.
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>
    /// For a head with several labels (e.g. an NLI cross-encoder): the label whose score ranks, by name (config.json's
    /// id2label) or index. Default null: a one-label head uses its label; ranking with several is refused.
    /// </summary>
    public string? Label { get; init; }

    /// <summary>auto (default: CUDA when available, else CPU), cpu, cuda or cuda:N.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>
    /// Inference precision. Default <see cref="Reranking.Precision.Auto"/>: chosen per device and CPU when the
    /// model is loaded (<see cref="InferenceEngineSelection"/>); <see cref="CrossEncoder.Precision"/> says which.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Auto;

    /// <summary>
    /// What runs the model. Default <see cref="InferenceEngine.Auto"/>: ONNX Runtime on the CPU (fp32, int8),
    /// TorchSharp on CUDA and for bf16; <see cref="CrossEncoder.Engine"/> says which.
    /// </summary>
    public InferenceEngine Engine { get; init; } = InferenceEngine.Auto;

    /// <summary>CPU threads for the engine (libtorch, or ONNX Runtime's intra-op pool); default null leaves the engine's own choice (one per core).</summary>
    public int? Threads { get; init; }
}
