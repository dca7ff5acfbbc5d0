using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;

namespace Rerank.Lucene.Embedding;

/// <summary>
/// The document vectors kept with an index: <see cref="DataFile"/> (float32 little-endian,
/// row-major [count, dimension], row i = Lucene document i = the i-th document of the corpus) and
/// <see cref="HeaderFile"/> (the <see cref="EmbeddingInfo"/> as JSON). Loaded whole into memory:
/// count x dimension x 4 bytes (SciFact, 5,183 x 384: 8 MB; one million documents: 1.5 GB).
/// With passages (<see cref="EmbeddingInfo.Passages"/>) the rows are passage vectors, each document's together and in document
/// order, and <see cref="PassageEmbedding.CountsFile"/> says how many each document has (<see cref="Rows"/>).
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

    private readonly int[]? _firstRow; // with passages: document d has rows [_firstRow[d], _firstRow[d + 1])

    private DocumentVectors(EmbeddingInfo info, float[] values, int[]? firstRow)
    {
        Info = info;
        Values = values;
        _firstRow = firstRow;
    }

    /// <summary>What the vectors were made with.</summary>
    public EmbeddingInfo Info { get; }

    /// <summary>Row-major [<see cref="Count"/>, <see cref="Dimension"/>].</summary>
    public float[] Values { get; }

    /// <summary>Number of vectors (passages when the index has them, else documents).</summary>
    public int Count => (int)Info.Count;

    /// <summary>Number of documents: <see cref="Count"/> unless each document has several passage vectors.</summary>
    public int DocumentCount => _firstRow is null ? Count : _firstRow.Length - 1;

    /// <summary>The vectors of document <paramref name="document"/> (Lucene order), row-major [passages, <see cref="Dimension"/>]: one row without passages.</summary>
    public ReadOnlySpan<float> Rows(int document) => _firstRow is null
        ? Row(document)
        : Values.AsSpan(_firstRow[document] * Dimension, (_firstRow[document + 1] - _firstRow[document]) * Dimension);

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
        // An embedder never writes NaN or infinity: one such value would make every fused score NaN or 0, silently.
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new InvalidInputException(
                    $"'{dataPath}' holds {values[i]} in vector {i / info.Dimension} (value {i % info.Dimension}); vectors are finite. The file is damaged. {rebuild}", dataPath);
        }
        return new DocumentVectors(info, values, info.Passages is { } passages ? ReadFirstRows(indexDir, info, passages, rebuild) : null);
    }

    /// <summary>Reads the passages per document and returns each document's first row (and the total at the end).</summary>
    private static int[] ReadFirstRows(string indexDir, EmbeddingInfo info, PassageEmbedding passages, string rebuild)
    {
        var path = Path.Combine(indexDir, PassageEmbedding.CountsFile);
        if (passages.File != PassageEmbedding.CountsFile || !File.Exists(path))
            throw new InvalidInputException($"Index '{indexDir}' records passage vectors, but '{path}' is missing. {rebuild}", indexDir);
        if (passages.Documents < 0 || passages.Documents > info.Count)
            throw new InvalidInputException($"Index '{indexDir}' records {passages.Documents} documents with {info.Count} passage vectors; every document has at least one. {rebuild}", path);
        var length = new FileInfo(path).Length;
        if (length != passages.Documents * 4L)
            throw new InvalidInputException($"'{path}' has {length} bytes; the passage counts of {passages.Documents} documents take {passages.Documents * 4L}. The file is damaged. {rebuild}", path);
        var bytes = File.ReadAllBytes(path);
        var first = new int[passages.Documents + 1];
        long row = 0;
        for (var d = 0; d < passages.Documents; d++)
        {
            first[d] = (int)row;
            var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(d * 4));
            if (count < 1)
                throw new InvalidInputException($"'{path}' gives document {d} {count} passages; every document has at least one. The file is damaged. {rebuild}", path);
            row += count;
            if (row > info.Count) break;
        }
        if (row != info.Count)
            throw new InvalidInputException($"'{path}' counts {(row > info.Count ? "more than " : "")}{row} passages; the index records {info.Count} vectors. The file is damaged. {rebuild}", path);
        first[passages.Documents] = (int)row;
        return first;
    }

    /// <summary>
    /// The most vectors (documents, or passages when an index embeds passages) of <paramref name="dimension"/> floats one index
    /// can hold: exact dense search keeps them all in one float array, at most <see cref="Array.MaxLength"/> values (about 5.59
    /// million vectors at 384 dimensions, 8.4 GB).
    /// </summary>
    public static long MaxDocuments(int dimension) => Array.MaxLength / Math.Max(1, dimension);

    /// <summary>
    /// Refuses, before any embedding work starts, an index of <paramref name="count"/> vectors that would not fit in
    /// <see cref="MaxDocuments"/>.
    /// </summary>
    /// <exception cref="InvalidInputException">Too many vectors for exact dense search; the message names the fix.</exception>
    /// <param name="count">Vectors the index would hold: documents, or their passages when <paramref name="passages"/>.</param>
    /// <param name="dimension">Floats per vector.</param>
    /// <param name="subject">What holds them, for the message, e.g. "JSONL corpus /data/docs.jsonl".</param>
    /// <param name="passages">Whether <paramref name="count"/> counts passages (several per document).</param>
    internal static void RequireCapacity(long count, int dimension, string subject, bool passages = false)
    {
        if (count <= MaxDocuments(dimension)) return;
        if (passages)
            throw new InvalidInputException(
                $"{subject} has {count} passages to embed; exact dense search keeps every {dimension}-float vector in memory and "
                + $"holds at most {MaxDocuments(dimension)} vectors at this dimension. Build it with fewer passages (--embed-passages first: one vector per document, "
                + "or a larger --embed-passage-words/--embed-passage-stride), with --embedder none (BM25 only), or split the corpus into several indexes.");
        throw new InvalidInputException(
            $"{subject} has {count} documents; exact dense search keeps every {dimension}-float vector in memory and "
            + $"holds at most {MaxDocuments(dimension)} documents at this dimension. Build it with --embedder none (BM25 only), "
            + "or split the corpus into several indexes (docs/BENCHMARKS.md, cost against corpus size).");
    }

    /// <summary>The vectors of one document to write, row-major [passages, dimension] (one row without passages): <see cref="WriteRows"/> asks for documents 0, 1, ... in order.</summary>
    internal delegate ReadOnlySpan<float> RowSource(int document);

    /// <summary>
    /// Writes the vectors of <paramref name="count"/> documents (document i's from <paramref name="row"/>) as <see cref="DataFile"/>,
    /// with passages (<see cref="EmbeddingInfo.Passages"/>) their counts as <see cref="PassageEmbedding.CountsFile"/>, and the header
    /// (<paramref name="info"/> with <see cref="EmbeddingInfo.Count"/> and <see cref="PassageEmbedding.Documents"/> set) into
    /// <paramref name="folder"/>; used by updates, which keep the vectors of unchanged documents and add those of new ones, in the new
    /// Lucene document order.
    /// </summary>
    internal static EmbeddingInfo WriteRows(string folder, EmbeddingInfo info, int count, RowSource row)
    {
        var counts = info.Passages is null ? null : new List<int>(count);
        long vectors = 0;
        using (var stream = new FileStream(Path.Combine(folder, DataFile), FileMode.CreateNew, FileAccess.Write))
        {
            for (var i = 0; i < count; i++)
            {
                var values = row(i);
                var rows = values.Length / info.Dimension;
                if (values.Length % info.Dimension != 0 || rows < 1 || (counts is null && rows != 1))
                    throw new InvalidOperationException($"Document {i} has {values.Length} floats; the store holds {(counts is null ? "one row" : "whole rows")} of {info.Dimension}.");
                WriteFloats(stream, values);
                counts?.Add(rows);
                vectors += rows;
            }
        }
        var written = info with { Count = vectors, File = DataFile, Passages = info.Passages is { } p ? p with { Documents = count } : null };
        if (counts is not null) WriteCounts(folder, counts);
        File.WriteAllText(Path.Combine(folder, HeaderFile), JsonSerializer.Serialize(written, JsonOptions));
        return written;
    }

    private static void WriteFloats(Stream stream, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (var j = 0; j < values.Length; j++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(j * 4), values[j]);
        stream.Write(bytes);
    }

    private static void WriteCounts(string folder, List<int> counts)
    {
        var bytes = new byte[counts.Count * 4];
        for (var d = 0; d < counts.Count; d++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(d * 4), counts[d]);
        File.WriteAllBytes(Path.Combine(folder, PassageEmbedding.CountsFile), bytes);
    }

    /// <summary>
    /// Embeds <paramref name="documents"/> (in document order) with <paramref name="encoder"/> into <paramref name="folder"/>,
    /// <see cref="Chunk"/> documents at a time, and writes the header: each document is split by <paramref name="passages"/>
    /// (<see cref="PassageFit.Split(PassageOptions, string?, string?, BiEncoder, out int)"/>: the cross-encoder's word windows, each cut
    /// into smaller ones until it fits the encoder's max length) and every passage embedded; with
    /// <see cref="PassageOptions.WholeDocument"/> that is one text per document, <see cref="DocumentText.Join"/> of title and text.
    /// </summary>
    /// <param name="folder">The (temporary) index folder to write into.</param>
    /// <param name="encoder">The bi-encoder.</param>
    /// <param name="documents">Title and text of each document, in Lucene document order.</param>
    /// <param name="passages">First (one vector per document) or max (<see cref="PassageEmbedding.Validated"/>).</param>
    /// <param name="progress">Called with the number of documents embedded so far, after each chunk.</param>
    /// <param name="ct">Cancels between batches.</param>
    internal static EmbeddingInfo Write(string folder, BiEncoder encoder, IEnumerable<(string? Title, string? Text)> documents, PassageOptions passages,
        Action<long>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        long count = 0, vectors = 0;
        var counts = passages.Mode == PassageMode.First ? null : new List<int>();
        using (var stream = new FileStream(Path.Combine(folder, DataFile), FileMode.CreateNew, FileAccess.Write))
        {
            foreach (var chunk in documents.Chunk(Chunk))
            {
                ct.ThrowIfCancellationRequested();
                var texts = new List<string>(chunk.Length);
                foreach (var (title, text) in chunk)
                {
                    var split = PassageFit.Split(passages, title, text, encoder, out _);
                    texts.AddRange(split);
                    counts?.Add(split.Count);
                }
                WriteFloats(stream, encoder.EmbedMany(texts, ct));
                count += chunk.Length;
                vectors += texts.Count;
                progress?.Invoke(count);
            }
        }
        if (counts is not null) WriteCounts(folder, counts);
        var info = EmbeddingInfo.For(encoder, vectors, clock.Elapsed.TotalSeconds, PassageEmbedding.For(passages, count));
        File.WriteAllText(Path.Combine(folder, HeaderFile), JsonSerializer.Serialize(info, JsonOptions));
        return info;
    }
}
