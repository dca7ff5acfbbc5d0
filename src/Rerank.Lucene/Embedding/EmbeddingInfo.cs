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
/// <param name="Count">Number of vectors (rows of <see cref="File"/>): one per document in Lucene document (= corpus) order, or,
/// with <see cref="Passages"/>, one per passage, the passages of each document together and in document order.</param>
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
/// <param name="Passages">How documents were split into passages, each embedded, a document scored by its best passage (MaxP);
/// null when each document was embedded once, whole and cut at <see cref="MaxLength"/> tokens (first passage; every index written
/// before passages existed).</param>
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
    long? Embedded = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    PassageEmbedding? Passages = null)
{
    /// <summary>The only <see cref="DType"/> written and read.</summary>
    public const string Float32LittleEndian = "float32-le";

    /// <summary>The record for <paramref name="count"/> vectors made by <paramref name="encoder"/> (of <paramref name="passages"/>'
    /// documents when given, else one per document).</summary>
    internal static EmbeddingInfo For(BiEncoder encoder, long count, double seconds, PassageEmbedding? passages = null) => new(
        encoder.ModelName, encoder.Source, encoder.Fingerprint, encoder.Dimension, PoolingModes.Name(encoder.Pooling),
        encoder.Normalized, encoder.MaxLength, count, DocumentVectors.DataFile, Float32LittleEndian, seconds,
        InferenceEngineSelection.Name(encoder.Engine), InferenceEngineSelection.Name(encoder.Precision), passages?.Documents ?? count, passages);

    /// <summary>Number of documents the vectors belong to: <see cref="PassageEmbedding.Documents"/> with passages, else <see cref="Count"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long DocumentCount => Passages?.Documents ?? Count;

    /// <summary>How documents were split for embedding: <see cref="Passages"/>' window and stride with <see cref="PassageMode.Max"/>,
    /// or <see cref="PassageOptions.WholeDocument"/> (first passage) when the index records none.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public PassageOptions PassageOptions => Passages?.Splitter ?? PassageOptions.WholeDocument;

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
            $"The document vectors of index '{indexDir}' were made with {Model} ({Source}), but the embedder given is {encoder.ModelName} ({encoder.Source}): "
            + $"{string.Join(", ", differences)}. Use the same embedder (omit --embedder to use the one recorded in the index), "
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
        if (encoder.Normalized != Normalized) differences.Add($"normalised {(encoder.Normalized ? "yes" : "no")} vs {(Normalized ? "yes" : "no")}");
        if (encoder.Dimension != Dimension) differences.Add($"dimension {encoder.Dimension} vs {Dimension}");
        if (encoder.MaxLength != MaxLength) differences.Add($"max length {encoder.MaxLength} vs {MaxLength}");
        if (encoder.Precision != RecordedPrecision)
            differences.Add($"precision {InferenceEngineSelection.Name(encoder.Precision)} vs {InferenceEngineSelection.Name(RecordedPrecision)} (int8 and fp32 vectors are not mixed; omit --precision to use the index's)");
        return differences;
    }
}

/// <summary>
/// How an index's documents were split into passages for the dense stage (recorded as <c>embeddings.passages</c>): the
/// cross-encoder's splitter (<see cref="PassageOptions.Split"/>, mode max) with this window and stride, every passage embedded, and a
/// document's dense score the highest inner product of the query with its passages (MaxP, Dai and Callan 2019).
/// </summary>
/// <param name="Words">Words per window (at least 1).</param>
/// <param name="Stride">Words between window starts (1 to <paramref name="Words"/>).</param>
/// <param name="Score">How passage scores become a document score: always <see cref="MaxScore"/>; any other value is refused when the manifest is read.</param>
/// <param name="Documents">Number of documents; <see cref="EmbeddingInfo.Count"/> counts their passage vectors.</param>
/// <param name="File">The file of passages per document inside the index folder: <see cref="CountsFile"/>, int32 little-endian [Documents],
/// in Lucene document order (each at least 1, summing to <see cref="EmbeddingInfo.Count"/>).</param>
public sealed record PassageEmbedding(int Words, int Stride, string Score, long Documents, string File)
{
    /// <summary>The only <see cref="Score"/>: the maximum over passages.</summary>
    public const string MaxScore = "max";

    /// <summary>The passages-per-document file inside an index folder.</summary>
    public const string CountsFile = "embeddings.passages.i32";

    /// <summary>
    /// What <c>search-host index</c> and <see cref="Indexing.IndexOptions"/> embed when not told: max over windows of
    /// <see cref="DefaultWords"/> words, stride <see cref="DefaultStride"/>. Chosen on dev data only (docs/BENCHMARKS.md, "Whole
    /// documents in the dense stage"): against the first passage, SciFact dev (81 queries) dense nDCG@10 +0.032 (p = 0.06) and
    /// hybrid +0.012 (p = 0.23), med's train split (20 queries) dense +0.018 and hybrid +0.004: not worse, though not beyond
    /// noise for the hybrid default. It costs about 2.7 vectors per SciFact document (1.0 for short texts) and the embedding time with them.
    /// </summary>
    public static PassageOptions Default { get; } = new(PassageMode.Max, DefaultWords, DefaultStride);

    /// <summary>The window for <c>--embed-passages max</c> without <c>--embed-passage-words</c>: 128 words, which with the title
    /// stays under the bundled embedder's 256 tokens on most text (SciFact: about 1.5 tokens per word).</summary>
    public const int DefaultWords = 128;

    /// <summary>The default stride: half of <see cref="DefaultWords"/>, so every sentence of up to 64 words is embedded whole in some window.</summary>
    public const int DefaultStride = 64;

    /// <summary>The splitter that made the passages: <see cref="PassageMode.Max"/> with <see cref="Words"/> and <see cref="Stride"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public PassageOptions Splitter => new(PassageMode.Max, Words, Stride);

    /// <summary>
    /// Checks <paramref name="passages"/> for embedding: first (one vector per document) or max (a window and stride);
    /// <paramref name="source"/> names where they came from in the message.
    /// </summary>
    /// <exception cref="InvalidInputException">Sum, or a window or stride out of range.</exception>
    public static PassageOptions Validated(PassageOptions passages, string source)
    {
        ArgumentNullException.ThrowIfNull(passages);
        passages.Validated(source);
        if (passages.Mode == PassageMode.Sum)
            throw new InvalidInputException($"{source}: the dense stage scores a document by its best passage (max) or embeds it whole (first); sum is offered for the cross-encoder only.");
        return passages.Mode == PassageMode.First ? PassageOptions.WholeDocument : passages;
    }

    /// <summary>The record for <paramref name="documents"/> documents split by <paramref name="passages"/>; null for first (one vector per document).</summary>
    internal static PassageEmbedding? For(PassageOptions passages, long documents) =>
        passages.Mode == PassageMode.First ? null : new PassageEmbedding(passages.Words, passages.Stride, MaxScore, documents, CountsFile);
}
