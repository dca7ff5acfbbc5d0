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

    /// <summary>CPU threads for libtorch; default null leaves libtorch's own choice (one per core).</summary>
    public int? Threads { get; init; }
}
