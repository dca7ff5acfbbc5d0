using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Rerank.Lucene.Indexing;

namespace Rerank.Lucene.Embedding;

/// <summary>
/// The document vectors kept with an index: <see cref="DataFile"/> (float32 little-endian,
/// row-major [count, dimension], row i = Lucene document i = the i-th document of the corpus) and
/// <see cref="HeaderFile"/> (the <see cref="EmbeddingInfo"/> as JSON). Loaded whole into memory:
/// count x dimension x 4 bytes (SciFact, 5,183 x 384: 8 MB; one million documents: 1.5 GB).
/// </summary>
public sealed class DocumentVectors
{
    /// <summary>The vector data file inside an index folder.</summary>
    public const string DataFile = "embeddings.f32";

    /// <summary>The vector store's JSON header inside an index folder.</summary>
    public const string HeaderFile = "embeddings.json";

    /// <summary>Documents embedded per call of the encoder while indexing (each call sorts its texts by length).</summary>
    internal const int Chunk = 256;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // Plain UTF-8: "torchsharp+onnxruntime", not "torchsharp\u002Bonnxruntime" (the file is data, never pasted into HTML).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private DocumentVectors(EmbeddingInfo info, float[] values)
    {
        Info = info;
        Values = values;
    }

    /// <summary>What the vectors were made with.</summary>
    public EmbeddingInfo Info { get; }

    /// <summary>Row-major [<see cref="Count"/>, <see cref="Dimension"/>].</summary>
    public float[] Values { get; }

    /// <summary>Number of vectors.</summary>
    public int Count => (int)Info.Count;

    /// <summary>Floats per vector.</summary>
    public int Dimension => Info.Dimension;

    /// <summary>Row <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Row(int index) => Values.AsSpan(index * Dimension, Dimension);

    /// <summary>
    /// Reads the vectors of the index in <paramref name="indexDir"/>, checking them against the
    /// manifest: same header, file size = count x dimension x 4.
    /// </summary>
    /// <exception cref="InvalidInputException">The index has no vectors, or the files are missing, damaged or disagree with the manifest.</exception>
    public static DocumentVectors Open(string indexDir, IndexManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(indexDir);
        ArgumentNullException.ThrowIfNull(manifest);
        var info = manifest.Embeddings ?? throw new InvalidInputException(
            $"Index '{indexDir}' has no document vectors (it was built with --embedder none or before embeddings existed). "
            + "Use --retrieval bm25, or rebuild it with `search-host index --corpus ... --index DIR --overwrite` (which embeds with the bundled MiniLM).",
            Path.Combine(indexDir, IndexManifest.FileName));
        var headerPath = Path.Combine(indexDir, HeaderFile);
        var dataPath = Path.Combine(indexDir, info.File);
        var rebuild = $"Rebuild the index with `search-host index --corpus ... --index {indexDir} --overwrite`.";
        if (!File.Exists(headerPath) || !File.Exists(dataPath))
            throw new InvalidInputException($"Index '{indexDir}' records document vectors, but '{(File.Exists(headerPath) ? dataPath : headerPath)}' is missing. {rebuild}", indexDir);
        EmbeddingInfo? header;
        try
        {
            header = JsonSerializer.Deserialize<EmbeddingInfo>(File.ReadAllText(headerPath), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"'{headerPath}' is not a valid vector header ({e.Message}). {rebuild}", headerPath, inner: e);
        }
        if (header != info)
            throw new InvalidInputException($"'{headerPath}' does not match the index manifest's embeddings entry; the folder mixes two builds. {rebuild}", headerPath);
        if (info.DType != EmbeddingInfo.Float32LittleEndian || info.Dimension < 1 || info.Count < 0 || info.Count * info.Dimension > Array.MaxLength)
            throw new InvalidInputException($"'{headerPath}' describes {info.Count} x {info.Dimension} {info.DType} vectors; this version reads float32-le with at most {Array.MaxLength} values. {rebuild}", headerPath);
        var expectedBytes = info.Count * info.Dimension * 4L;
        var length = new FileInfo(dataPath).Length;
        if (length != expectedBytes)
            throw new InvalidInputException($"'{dataPath}' has {length} bytes; {info.Count} x {info.Dimension} float32 vectors take {expectedBytes}. The file is damaged. {rebuild}", dataPath);
        var values = new float[info.Count * info.Dimension];
        using (var stream = File.OpenRead(dataPath)) stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        if (!BitConverter.IsLittleEndian)
        {
            var ints = MemoryMarshal.Cast<float, int>(values.AsSpan());
            for (var i = 0; i < ints.Length; i++) ints[i] = BinaryPrimitives.ReverseEndianness(ints[i]);
        }
        return new DocumentVectors(info, values);
    }

    /// <summary>
    /// The most documents whose vectors of <paramref name="dimension"/> floats one index can hold: exact dense search
    /// keeps them all in one float array, at most <see cref="Array.MaxLength"/> values (about 5.59 million documents at
    /// 384 dimensions, 8.4 GB).
    /// </summary>
    public static long MaxDocuments(int dimension) => Array.MaxLength / Math.Max(1, dimension);

    /// <summary>
    /// Refuses, before any embedding work starts, an index of <paramref name="count"/> documents whose vectors would
    /// not fit in <see cref="MaxDocuments"/>.
    /// </summary>
    /// <exception cref="InvalidInputException">Too many documents for exact dense search; the message names the fix.</exception>
    /// <param name="count">Documents the index would hold.</param>
    /// <param name="dimension">Floats per vector.</param>
    /// <param name="subject">What holds them, for the message, e.g. "JSONL corpus /data/docs.jsonl".</param>
    internal static void RequireCapacity(long count, int dimension, string subject)
    {
        if (count <= MaxDocuments(dimension)) return;
        throw new InvalidInputException(
            $"{subject} has {count} documents; exact dense search keeps every {dimension}-float vector in memory and "
            + $"holds at most {MaxDocuments(dimension)} documents at this dimension. Build it with --embedder none (BM25 only), "
            + "or split the corpus into several indexes (docs/BENCHMARKS.md, cost against corpus size).");
    }

    /// <summary>One row of vectors to write: <see cref="WriteRows"/> asks for rows 0, 1, ... in order.</summary>
    internal delegate ReadOnlySpan<float> RowSource(int row);

    /// <summary>
    /// Writes <paramref name="count"/> rows (row i from <paramref name="row"/>) as <see cref="DataFile"/> and the header
    /// (<paramref name="info"/> with <see cref="EmbeddingInfo.Count"/> set) into <paramref name="folder"/>; used by updates,
    /// which keep the vectors of unchanged documents and add those of new ones, in the new Lucene document order.
    /// </summary>
    internal static EmbeddingInfo WriteRows(string folder, EmbeddingInfo info, int count, RowSource row)
    {
        var bytes = new byte[info.Dimension * 4];
        using (var stream = new FileStream(Path.Combine(folder, DataFile), FileMode.CreateNew, FileAccess.Write))
        {
            for (var i = 0; i < count; i++)
            {
                var values = row(i);
                if (values.Length != info.Dimension)
                    throw new InvalidOperationException($"Row {i} has {values.Length} floats; the store holds {info.Dimension}.");
                for (var j = 0; j < values.Length; j++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(j * 4), values[j]);
                stream.Write(bytes);
            }
        }
        var written = info with { Count = count, File = DataFile };
        File.WriteAllText(Path.Combine(folder, HeaderFile), JsonSerializer.Serialize(written, JsonOptions));
        return written;
    }

    /// <summary>
    /// Embeds <paramref name="texts"/> (in document order) with <paramref name="encoder"/> into
    /// <paramref name="folder"/>, <see cref="Chunk"/> at a time, and writes the header.
    /// </summary>
    /// <param name="folder">The (temporary) index folder to write into.</param>
    /// <param name="encoder">The bi-encoder.</param>
    /// <param name="texts">One text per document, in Lucene document order.</param>
    /// <param name="progress">Called with the number of documents embedded so far, after each chunk.</param>
    /// <param name="ct">Cancels between chunks.</param>
    internal static EmbeddingInfo Write(string folder, BiEncoder encoder, IEnumerable<string> texts, Action<long>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        long count = 0;
        using (var stream = new FileStream(Path.Combine(folder, DataFile), FileMode.CreateNew, FileAccess.Write))
        {
            var buffer = new byte[Chunk * encoder.Dimension * 4];
            foreach (var chunk in texts.Chunk(Chunk))
            {
                ct.ThrowIfCancellationRequested();
                var vectors = encoder.EmbedMany(chunk, ct);
                var bytes = buffer.AsSpan(0, vectors.Length * 4);
                for (var i = 0; i < vectors.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes[(i * 4)..], vectors[i]);
                stream.Write(bytes);
                count += chunk.Length;
                progress?.Invoke(count);
            }
        }
        var info = EmbeddingInfo.For(encoder, count, clock.Elapsed.TotalSeconds);
        File.WriteAllText(Path.Combine(folder, HeaderFile), JsonSerializer.Serialize(info, JsonOptions));
        return info;
    }
}
