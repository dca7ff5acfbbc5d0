using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rerank.Lucene.Indexing;

/// <summary>
/// What an index was built from and with, stored as <see cref="FileName"/> in the index folder.
/// <see cref="Retrieval.Bm25Searcher"/> and the trainer read it, so they use the same analyzer,
/// BM25 parameters and fields without being told.
/// </summary>
/// <param name="FormatVersion">The manifest/index layout version; see <see cref="CurrentFormatVersion"/>.</param>
/// <param name="Analyzer">The analyzer name; see <see cref="IndexAnalyzer.Name"/>.</param>
/// <param name="K1">BM25 k1 used for searching this index.</param>
/// <param name="B">BM25 b used for searching this index.</param>
/// <param name="FieldsMode">How title and text were indexed.</param>
/// <param name="DocumentCount">Number of documents in the index now (after every update in <paramref name="History"/>).</param>
/// <param name="CorpusFingerprint">Of the corpus the index was first built from (generation 0; updates do not change it, see
/// <paramref name="History"/>): "sha256:" and the hex SHA-256 over every document in order: for each of
/// id, title and text, its UTF-8 byte length as 8 bytes little-endian, then the bytes. Equal fingerprints mean
/// the same documents in the same order.</param>
/// <param name="Source">Where the documents of the first build came from (e.g. "BEIR/JSONL corpus /data/scifact/corpus.jsonl").</param>
/// <param name="CreatedUtc">When the first build finished.</param>
/// <param name="FieldStatistics">Statistics per searchable field (<c>contents</c>, and <c>title</c> in multifield mode).</param>
/// <param name="Embeddings">The document vectors kept with the index and what made them
/// (<see cref="Embedding.DocumentVectors"/>), with their passage settings when documents were embedded as passages
/// (<see cref="Embedding.EmbeddingInfo.Passages"/>); null when the index has none (absent in manifests written before they existed).</param>
/// <param name="Generation">0 after a build; each committed update (<see cref="IndexUpdater"/>) adds one.</param>
/// <param name="History">One entry per generation, oldest first: the build, then every update with what it added, replaced and
/// deleted. Null in manifests written before updates existed (their only generation is the build).</param>
/// <param name="KeptFields">The corpus fields kept with the documents (stored, filterable) and their types, by name; null when none.</param>
/// <param name="KeepFields">The selection of kept fields the index was built with (<c>--keep-fields</c>), which every update
/// applies too: null for every field (the default, and manifests written before it was recorded), empty for none, else the
/// names, sorted.</param>
public sealed record IndexManifest(
    int FormatVersion,
    string Analyzer,
    float K1,
    float B,
    FieldsMode FieldsMode,
    long DocumentCount,
    string CorpusFingerprint,
    string Source,
    DateTimeOffset CreatedUtc,
    IReadOnlyDictionary<string, IndexFieldStatistics> FieldStatistics,
    Embedding.EmbeddingInfo? Embeddings = null,
    long Generation = 0,
    IReadOnlyList<IndexChange>? History = null,
    IReadOnlyDictionary<string, KeptFieldType>? KeptFields = null,
    IReadOnlyList<string>? KeepFields = null)
{
    /// <summary>A <see cref="KeepFields"/> selection in words: "all", "none" or the names joined by commas.</summary>
    public static string DescribeKeepFields(IReadOnlyList<string>? keep) =>
        keep is null ? "all" : keep.Count == 0 ? "none" : string.Join(",", keep.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    /// <summary>The manifest file name inside an index folder.</summary>
    public const string FileName = "searchrerank-index.json";

    /// <summary>The format version this library writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        // Plain UTF-8: "torchsharp+onnxruntime" and non-ASCII paths as themselves (the file is data, never pasted into HTML).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads the manifest of the index in <paramref name="indexDir"/>.</summary>
    /// <param name="indexDir">The index folder.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="InvalidInputException">The folder or manifest is missing, unreadable or of another format version.</exception>
    public static IndexManifest Read(string indexDir)
    {
        var path = Path.Combine(indexDir, FileName);
        if (!Directory.Exists(indexDir) || !File.Exists(path))
        {
            throw NotAnIndex(indexDir, Directory.Exists(indexDir) ? $"it has no {FileName}" : File.Exists(indexDir) ? "it is a file, not a folder" : "the folder does not exist");
        }
        IndexManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<IndexManifest>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException(
                $"'{path}' is not a valid SearchRerank index manifest: expected JSON written by `search-host index`, found an error at line {(e.LineNumber ?? 0) + 1}. "
                + $"Rebuild the index with `search-host index --corpus ... --index {indexDir} --overwrite`.",
                path, (int?)(e.LineNumber + 1), e);
        }
        if (manifest is null || manifest.Analyzer is null || manifest.FieldStatistics is null)
        {
            throw new InvalidInputException(
                $"'{path}' is not a valid SearchRerank index manifest: expected a JSON object with analyzer, k1, b and fieldStatistics, found an incomplete one. "
                + $"Rebuild the index with `search-host index --corpus ... --index {indexDir} --overwrite`.", path);
        }
        if (manifest.FormatVersion != CurrentFormatVersion)
        {
            throw new InvalidInputException(
                $"Index '{indexDir}' has format version {manifest.FormatVersion}; this version of SearchRerank reads format {CurrentFormatVersion}. "
                + $"Rebuild the index with `search-host index --corpus ... --index {indexDir} --overwrite`.", path);
        }
        if (manifest.Embeddings is { Precision: { } precision } && !Embedding.EmbeddingInfo.KnownPrecisions.Contains(precision))
        {
            throw new InvalidInputException(
                $"'{path}' records embeddings.precision \"{precision}\", which this version does not know; it writes \"fp32\" or \"int8\". "
                + $"Restore the value the index was built with, or rebuild the index with `search-host index --corpus ... --index {indexDir} --overwrite`.", path);
        }
        if (manifest.Embeddings is { Engine: { } engine } && engine.Split('+').Any(e => !Embedding.EmbeddingInfo.KnownEngines.Contains(e)))
        {
            throw new InvalidInputException(
                $"'{path}' records embeddings.engine \"{engine}\", which this version does not know; it writes \"torchsharp\", \"onnxruntime\" "
                + $"or both joined by '+'. Restore the value the index was built with, or rebuild the index with `search-host index --corpus ... --index {indexDir} --overwrite`.", path);
        }
        if (manifest.Embeddings is { Passages: { } passages }
            && (passages.Score != Embedding.PassageEmbedding.MaxScore || passages.Words < 1 || passages.Stride < 1 || passages.Stride > passages.Words))
        {
            throw new InvalidInputException(
                $"'{path}' records embeddings.passages with score \"{passages.Score}\", {passages.Words} words and stride {passages.Stride}; this version scores passages by "
                + $"\"max\" with at least 1 word and a stride from 1 to the words. Restore the values the index was built with, or rebuild the index with `search-host index --corpus ... --index {indexDir} --overwrite`.", path);
        }
        return manifest;
    }

    /// <summary>Writes the manifest as <see cref="FileName"/> into <paramref name="indexDir"/>.</summary>
    internal void Write(string indexDir)
    {
        File.WriteAllText(Path.Combine(indexDir, FileName), ToJson());
    }

    /// <summary>The manifest as JSON, exactly as written into the index folder.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    internal static InvalidInputException NotAnIndex(string indexDir, string found) =>
        new($"'{indexDir}' is not a SearchRerank index: expected a folder with {FileName} and a Lucene index, but {found}. "
            + $"Build one with `search-host index --corpus ... --index {indexDir}`.", indexDir);
}

/// <summary>One generation of an index: its build or one committed update.</summary>
/// <param name="Generation">0 for the build, then 1, 2, ...</param>
/// <param name="Kind">"build", "update" (documents added or replaced, maybe also deleted) or "delete" (only deletions).</param>
/// <param name="Source">Where the documents came from (a corpus path, "in-memory documents", or for deletions where the ids came from).</param>
/// <param name="Added">Documents whose id was not in the index before.</param>
/// <param name="Replaced">Documents that replaced one with the same id.</param>
/// <param name="Deleted">Documents deleted (ids that were in the index).</param>
/// <param name="NotFound">Ids asked to be deleted that were not in the index (reported, not an error).</param>
/// <param name="DocumentCount">Documents in the index after this generation.</param>
/// <param name="CommittedUtc">When this generation was committed.</param>
public sealed record IndexChange(
    long Generation,
    string Kind,
    string Source,
    long Added,
    long Replaced,
    long Deleted,
    long NotFound,
    long DocumentCount,
    DateTimeOffset CommittedUtc);
