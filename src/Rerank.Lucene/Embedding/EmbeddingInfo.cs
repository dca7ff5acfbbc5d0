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
/// <param name="Seconds">Wall-clock seconds the embedding took at index time (for throughput records; Count / Seconds = docs/s).</param>
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
    double Seconds)
{
    /// <summary>The only <see cref="DType"/> written and read.</summary>
    public const string Float32LittleEndian = "float32-le";

    /// <summary>The record for vectors made by <paramref name="encoder"/>.</summary>
    internal static EmbeddingInfo For(BiEncoder encoder, long count, double seconds) => new(
        encoder.ModelName, encoder.Source, encoder.Fingerprint, encoder.Dimension, PoolingModes.Name(encoder.Pooling),
        encoder.Normalized, encoder.MaxLength, count, DocumentVectors.DataFile, Float32LittleEndian, seconds);

    /// <summary>
    /// Fails unless <paramref name="encoder"/> makes vectors comparable to these: same weights
    /// (fingerprint), pooling, normalisation, dimension and max length. Never falls back.
    /// </summary>
    /// <exception cref="InvalidInputException">They differ; the message names the index and what to do.</exception>
    public void RequireCompatible(BiEncoder encoder, string indexDir)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var differences = new List<string>();
        if (encoder.Fingerprint != Fingerprint) differences.Add($"weights {encoder.Fingerprint[..Math.Min(19, encoder.Fingerprint.Length)]} vs {Fingerprint[..Math.Min(19, Fingerprint.Length)]}");
        if (PoolingModes.Name(encoder.Pooling) != Pooling) differences.Add($"pooling {PoolingModes.Name(encoder.Pooling)} vs {Pooling}");
        if (encoder.Normalized != Normalized) differences.Add($"normalised {encoder.Normalized} vs {Normalized}");
        if (encoder.Dimension != Dimension) differences.Add($"dimension {encoder.Dimension} vs {Dimension}");
        if (encoder.MaxLength != MaxLength) differences.Add($"max length {encoder.MaxLength} vs {MaxLength}");
        if (differences.Count == 0) return;
        throw new InvalidInputException(
            $"The document vectors of index '{indexDir}' were made with {Model} ({Source}), but the query embedder is {encoder.ModelName} ({encoder.Source}): "
            + $"{string.Join(", ", differences)}. Query with the same embedder (omit --embedder to use the one recorded in the index), "
            + "or rebuild the index with this one (`search-host index ... --embedder DIR --overwrite`).",
            Path.Combine(indexDir, Indexing.IndexManifest.FileName));
    }
}
