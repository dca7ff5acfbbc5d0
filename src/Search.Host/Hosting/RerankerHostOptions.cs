using System.ComponentModel.DataAnnotations;

namespace Search.Host.Hosting;

/// <summary>
/// Cross-encoder settings shared by <c>search</c>, <c>eval</c> and <c>score</c>, bound from
/// <c>SearchHost:Reranker</c> (then environment, then flags). Defaults match the library's.
/// </summary>
public sealed class RerankerHostOptions
{
    // Each [RegularExpression] has a [MinLength(1)] beside it with the same message: DataAnnotations passes an empty string
    // as valid, and an empty value (e.g. --precision "" from an unset shell variable) would otherwise run as the default.
    /// <summary>Model folder; null means no reranking unless a command requires one.</summary>
    public string? Model { get; set; }

    /// <summary>First-stage candidates (BM25, dense or hybrid) rescored per query. Default 100.</summary>
    [Range(1, 10_000)]
    public int Candidates { get; set; } = 100;

    /// <summary>Pairs per forward pass. Default 16.</summary>
    [Range(1, 4096)]
    public int BatchSize { get; set; } = 16;

    /// <summary>Max tokens per pair; null = searchrerank.json's max_length, else tokenizer_config.json's model_max_length capped at the model's positions (the positions when neither is set).</summary>
    [Range(4, 8192)]
    public int? MaxLength { get; set; }

    /// <summary>auto, cpu, cuda or cuda:N. Default auto.</summary>
    [RegularExpression("^(auto|cpu|cuda(:[0-9]+)?)$", ErrorMessage = "{0} must be auto, cpu, cuda or cuda:N.")]
    [MinLength(1, ErrorMessage = "{0} must be auto, cpu, cuda or cuda:N.")]
    public string Device { get; set; } = "auto";

    /// <summary>auto, fp32, bf16 or int8. Default auto (chosen per device and CPU when the model loads).</summary>
    [RegularExpression("^(auto|fp32|bf16|int8)$", ErrorMessage = "{0} must be auto, fp32, bf16 or int8.")]
    [MinLength(1, ErrorMessage = "{0} must be auto, fp32, bf16 or int8.")]
    public string Precision { get; set; } = "auto";

    /// <summary>auto, onnxruntime or torchsharp. Default auto (ONNX Runtime on the CPU, TorchSharp on CUDA and for bf16).</summary>
    [RegularExpression("^(auto|onnxruntime|torchsharp)$", ErrorMessage = "{0} must be auto, onnxruntime or torchsharp.")]
    [MinLength(1, ErrorMessage = "{0} must be auto, onnxruntime or torchsharp.")]
    public string Engine { get; set; } = "auto";

    /// <summary>CPU threads for the models (ONNX Runtime's intra-op pool, or libtorch's); null = the engine's choice (one per core).</summary>
    [Range(1, 1024)]
    public int? Threads { get; set; }

    /// <summary>replace or interpolate; null (default) = the mode stored with the model, else replace.</summary>
    [RegularExpression("^(replace|interpolate)$", ErrorMessage = "{0} must be replace or interpolate.")]
    [MinLength(1, ErrorMessage = "{0} must be replace or interpolate.")]
    public string? ScoreMode { get; set; }

    /// <summary>first, max or sum (BERT-FirstP/MaxP/SumP); null (default) = the passages stored with the model, else first.</summary>
    [RegularExpression("^(first|max|sum)$", ErrorMessage = "{0} must be first, max or sum.")]
    [MinLength(1, ErrorMessage = "{0} must be first, max or sum.")]
    public string? Passages { get; set; }

    /// <summary>Words per passage window with Passages max or sum; null = 64.</summary>
    [Range(1, 100_000)]
    public int? PassageWords { get; set; }

    /// <summary>Words between passage window starts; null = half the window.</summary>
    [Range(1, 100_000)]
    public int? PassageStride { get; set; }

    /// <summary>Passages per document the cross-encoder reads with Passages max or sum, those matching the query best by BM25; null = every passage.</summary>
    [Range(1, 100_000)]
    public int? PassageSelect { get; set; }

    /// <summary>Cross-encoder weight for interpolate; null = the weight stored with the model.</summary>
    [Range(0.0, 1.0)]
    public double? InterpolationWeight { get; set; }
}
