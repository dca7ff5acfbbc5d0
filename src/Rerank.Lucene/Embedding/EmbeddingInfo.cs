using Rerank.Lucene.Reranking;

namespace Rerank.Lucene.Embedding;

/// <summary>
/// What the document vectors kept with an index were made with, recorded in the index manifest
/// (<c>embeddings</c>) and in the vector store's header (<see cref="DocumentVectors.HeaderFile"/>).
/// A query is embedded with the same model or not at all: <see cref="RequireCompatible"/>.
/// </summary>
/// <param name="Model">The model's name (<see cref="BiEncoder.ModelName"/>).</param>
/// <param name="Source"><see cref="BiEncoder.BundledSource"/> or the full path of the sentence-transformers folder used.</param>
/// <param name="Fingerprint">The weights' fingerprint (<see cref="BiEncoder.Fingerprint"/>).</param>
/// <param name="Dimension">Floats per vector.</param>
/// <param name="Pooling">"mean" or "cls".</param>
/// <param name="Normalized">Whether vectors have unit L2 norm (inner product = cosine).</param>
/// <param name="MaxLength">Tokens per document embedded, [CLS] and [SEP] included; longer documents were cut.</param>
/// <param name="Count">Number of vectors: one per document, in Lucene document (= corpus) order.</param>
/// <param name="File">The data file inside the index folder: <see cref="DocumentVectors.DataFile"/>.</param>
/// <param name="DType">"float32-le": little-endian IEEE float32, row-major [Count, Dimension], no header bytes.</param>
/// <param name="Seconds">Wall-clock seconds the last build or update spent embedding its <see cref="Embedded"/> documents (for
/// throughput records: Embedded / Seconds = docs/s). Before <see cref="Embedded"/> was recorded, updates added their time to the build's.</param>
/// <param name="Engine">The engine(s) that made the vectors: "onnxruntime", "torchsharp", or both joined by "+" after an
/// update with another engine; null in indexes written before engines were recorded (TorchSharp).</param>
/// <param name="Precision">"fp32" or "int8"; null in indexes written before precisions were recorded (fp32). Queries
/// must be embedded at the same precision: see <see cref="RequireCompatible"/>. Any other value is refused when the manifest is read.</param>
/// <param name="Embedded">Documents the last build (all of them) or update (those added or replaced) embedded, in <see cref="Seconds"/>;
/// null in indexes written before it was recorded.</param>
public sealed record EmbeddingInfo(
    string Model,
    string Source,
    string Fingerprint,
    int Dimension,
    string Pooling,
    bool Normalized,
    int MaxLength,
    long Count,
    string File,
    string DType,
    double Seconds,
    string? Engine = null,
    string? Precision = null,
    long? Embedded = null)
{
    /// <summary>The only <see cref="DType"/> written and read.</summary>
    public const string Float32LittleEndian = "float32-le";

    /// <summary>The record for vectors made by <paramref name="encoder"/>.</summary>
    internal static EmbeddingInfo For(BiEncoder encoder, long count, double seconds) => new(
        encoder.ModelName, encoder.Source, encoder.Fingerprint, encoder.Dimension, PoolingModes.Name(encoder.Pooling),
        encoder.Normalized, encoder.MaxLength, count, DocumentVectors.DataFile, Float32LittleEndian, seconds,
        InferenceEngineSelection.Name(encoder.Engine), InferenceEngineSelection.Name(encoder.Precision), count);

    /// <summary>The precisions a manifest may record (<see cref="Precision"/>).</summary>
    internal static readonly string[] KnownPrecisions = ["fp32", "int8"];

    /// <summary>The engine names an index records (joined by '+' when updates used another engine than the build).</summary>
    internal static readonly string[] KnownEngines = ["torchsharp", "onnxruntime"];

    /// <summary>Documents per second of the last build or update's embedding (<see cref="Embedded"/> / <see cref="Seconds"/>); 0 when no time was recorded.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double DocumentsPerSecond => Seconds > 0 ? (Embedded ?? Count) / Seconds : 0;

    /// <summary>The precision the vectors were made at: <see cref="Precision"/>, or fp32 for indexes that predate the record.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Reranking.Precision RecordedPrecision =>
        string.Equals(Precision, "int8", StringComparison.Ordinal) ? Reranking.Precision.Int8 : Reranking.Precision.Fp32;

    /// <summary>
    /// The options to embed queries (or added documents) for these vectors: <paramref name="options"/> with an auto
    /// precision replaced by <see cref="RecordedPrecision"/>; an explicit precision is kept (and checked by <see cref="RequireCompatible"/>).
    /// </summary>
    public BiEncoderOptions ForQueries(BiEncoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Precision == Reranking.Precision.Auto
            ? options with { Precision = RecordedPrecision, PrecisionSource = $"the index's {InferenceEngineSelection.Name(RecordedPrecision)} vectors" }
            : options;
    }

    /// <summary>This record after <paramref name="encoder"/> added vectors to it: its engine joined to <see cref="Engine"/> when it differs.</summary>
    internal EmbeddingInfo AddedBy(BiEncoder encoder)
    {
        var engine = InferenceEngineSelection.Name(encoder.Engine);
        var engines = (Engine ?? "torchsharp").Split('+').ToList();
        if (!engines.Contains(engine)) engines.Add(engine);
        return this with { Engine = string.Join('+', engines), Precision = Precision ?? "fp32" };
    }

    /// <summary>
    /// Fails unless <paramref name="encoder"/> makes vectors comparable to these: same weights
    /// (fingerprint), pooling, normalisation, dimension, max length and precision. Never falls back.
    /// </summary>
    /// <remarks>
    /// The engine does not matter at fp32: ONNX Runtime and TorchSharp fp32 vectors agree to cosine ≥ 0.99999
    /// (BiEncoderOnnxRuntimeTests), so vectors of either are searched with queries of either. int8 vectors (cosine
    /// about 0.995 to fp32) are neither searched with fp32 queries nor mixed with fp32 vectors in an update, and the reverse.
    /// </remarks>
    /// <exception cref="InvalidInputException">They differ; the message names the index and what to do.</exception>
    public void RequireCompatible(BiEncoder encoder, string indexDir)
    {
        var differences = Differences(encoder);
        if (differences.Count == 0) return;
        throw new InvalidInputException(
            $"The document vectors of index '{indexDir}' were made with {Model} ({Source}), but the query embedder is {encoder.ModelName} ({encoder.Source}): "
            + $"{string.Join(", ", differences)}. Query with the same embedder (omit --embedder to use the one recorded in the index), "
            + "or rebuild the index with this one (`search-host index ... --embedder DIR --overwrite`).",
            Path.Combine(indexDir, Indexing.IndexManifest.FileName));
    }

    /// <summary>Whether <paramref name="encoder"/> makes vectors comparable to these (what <see cref="RequireCompatible"/> checks).</summary>
    public bool IsCompatible(BiEncoder encoder) => Differences(encoder).Count == 0;

    /// <summary>How <paramref name="encoder"/>'s vectors would differ from these, in words; empty when they are comparable.</summary>
    internal List<string> Differences(BiEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var differences = new List<string>();
        if (encoder.Fingerprint != Fingerprint) differences.Add($"weights {encoder.Fingerprint[..Math.Min(19, encoder.Fingerprint.Length)]} vs {Fingerprint[..Math.Min(19, Fingerprint.Length)]}");
        if (PoolingModes.Name(encoder.Pooling) != Pooling) differences.Add($"pooling {PoolingModes.Name(encoder.Pooling)} vs {Pooling}");
        if (encoder.Normalized != Normalized) differences.Add($"normalised {encoder.Normalized} vs {Normalized}");
        if (encoder.Dimension != Dimension) differences.Add($"dimension {encoder.Dimension} vs {Dimension}");
        if (encoder.MaxLength != MaxLength) differences.Add($"max length {encoder.MaxLength} vs {MaxLength}");
        if (encoder.Precision != RecordedPrecision)
            differences.Add($"precision {InferenceEngineSelection.Name(encoder.Precision)} vs {InferenceEngineSelection.Name(RecordedPrecision)} (int8 and fp32 vectors are not mixed; omit --precision to use the index's)");
        return differences;
    }
}
