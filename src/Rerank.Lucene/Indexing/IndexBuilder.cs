using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Output;
using Rerank.Lucene.Reranking;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Rerank.Lucene.Indexing;

/// <summary>Builds a BM25 index with stored text and a <see cref="IndexManifest"/>, atomically.</summary>
public static class IndexBuilder
{
    private const int ProgressEvery = 5000;

    /// <summary>
    /// Indexes <paramref name="docs"/> into <paramref name="indexDir"/>.
    /// The index is built in a temporary sibling folder and moved into place only when everything
    /// succeeded; an existing index is then moved aside and deleted. If reading the documents fails,
    /// throws, or is cancelled, the temporary folder is removed, the exception propagates, and any
    /// existing index is left exactly as it was. Only one build of an index runs at a time
    /// (<see cref="IndexWriteLock"/>); temporary folders of killed builds of the same index are removed first.
    /// </summary>
    /// <param name="docs">The documents, e.g. from <see cref="CorpusReader"/>; enumerated once (plus one cheap
    /// counting pass for a <see cref="CorpusReader"/> source, to report a total).</param>
    /// <param name="indexDir">The index folder to create or replace.</param>
    /// <param name="options">BM25 parameters, fields mode, overwrite.</param>
    /// <param name="progress">Receives progress every 5,000 documents, when merging, and when done.</param>
    /// <param name="ct">Cancels the build; the existing index is kept.</param>
    /// <returns>The manifest written into the index.</returns>
    /// <exception cref="InvalidInputException">The folder exists and <see cref="IndexOptions.Overwrite"/> is false,
    /// or it is a non-empty folder that is not a SearchRerank index, or the options are out of range,
    /// or the documents are invalid (from <see cref="CorpusReader"/>), or two documents share an id, or another build
    /// of the same index is running (in this or another process; see <see cref="IndexWriteLock"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled before the new index was swapped in;
    /// the temporary folder is gone and any existing index is untouched.</exception>
    /// <example>
    /// <code>
    /// var manifest = IndexBuilder.Build(CorpusReader.Read("corpus.jsonl"), "./idx",
    ///     new IndexOptions(Overwrite: true), new Progress&lt;IndexingProgress&gt;(p => Console.WriteLine(p.DocumentsDone)));
    /// </code>
    /// </example>
    public static IndexManifest Build(
        IEnumerable<CorpusDocument> docs,
        string indexDir,
        IndexOptions options,
        IProgress<IndexingProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(docs);
        ArgumentNullException.ThrowIfNull(indexDir);
        ArgumentNullException.ThrowIfNull(options);
        if (!float.IsFinite(options.K1) || options.K1 < 0)
        {
            throw new InvalidInputException($"Expected BM25 k1 to be a finite number >= 0, found {options.K1}. Use e.g. 0.9 (the default).");
        }
        if (!float.IsFinite(options.B) || options.B < 0 || options.B > 1)
        {
            throw new InvalidInputException($"Expected BM25 b between 0 and 1, found {options.B}. Use e.g. 0.4 (the default).");
        }

        var target = Path.GetFullPath(indexDir).TrimEnd(Path.DirectorySeparatorChar);
        CheckTarget(indexDir, options.Overwrite);
        var parent = Path.GetDirectoryName(target) ?? throw new InvalidInputException(
            $"Expected an index folder below a parent folder, found '{indexDir}'. Choose a folder such as ./idx.", indexDir);
        System.IO.Directory.CreateDirectory(parent);
        var name = Path.GetFileName(target);

        // One writer per index: with the lock held, no other build of this index is running, so any
        // temporary folder of this index left beside it is from a killed run and can go.
        using var writeLock = IndexWriteLock.Acquire(target);
        RemoveLeftovers(parent, name);
        var exists = CheckTarget(indexDir, options.Overwrite);
        var temp = Path.Combine(parent, $".{name}{BuildingMarker}{Guid.NewGuid():N}");

        IndexManifest manifest;
        try
        {
            manifest = BuildInto(docs, temp, options, progress, ct);
            // Last moment to cancel: after the swap the new index is in place.
            ct.ThrowIfCancellationRequested();
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        Swap(temp, target, exists, parent, name);
        return manifest;
    }

    private const string BuildingMarker = ".building-";
    private const string ReplacedMarker = ".replaced-";
    internal const string UpdatingMarker = ".updating-";

    /// <summary>
    /// Deletes <c>.NAME.building-GUID</c>, <c>.NAME.updating-GUID</c> and <c>.NAME.replaced-GUID</c> folders beside the index: only
    /// real folders (never links) whose names are exactly what <see cref="Build"/> and <see cref="IndexUpdater"/> create. Call with the write lock held.
    /// </summary>
    internal static void RemoveLeftovers(string parent, string name)
    {
        foreach (var dir in new DirectoryInfo(parent).EnumerateDirectories($".{name}.*"))
        {
            if (IsOwnTemporary(dir.Name, name) && (dir.Attributes & FileAttributes.ReparsePoint) == 0) TryDelete(dir.FullName);
        }
    }

    /// <summary>Whether <paramref name="folder"/> is ".NAME.building-", ".NAME.updating-" or ".NAME.replaced-" followed by 32 lower-case hex digits.</summary>
    internal static bool IsOwnTemporary(string folder, string name)
    {
        foreach (var marker in (ReadOnlySpan<string>)[BuildingMarker, UpdatingMarker, ReplacedMarker])
        {
            var prefix = "." + name + marker;
            if (folder.Length == prefix.Length + 32 && folder.StartsWith(prefix, StringComparison.Ordinal)
                && folder.AsSpan(prefix.Length).IndexOfAnyExcept("0123456789abcdef") < 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Returns whether the target exists and may be replaced; throws when it may not (the one rule of <see cref="OutputTarget"/>).</summary>
    private static bool CheckTarget(string indexDir, bool overwrite) =>
        OutputTarget.CheckFolder(indexDir, OutputKind.Index, overwrite, "--index");

    private static IndexManifest BuildInto(
        IEnumerable<CorpusDocument> docs, string temp, IndexOptions options, IProgress<IndexingProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        long? total = docs.TryGetNonEnumeratedCount(out var c) ? c
            : docs is CorpusReader.CorpusSequence seq ? seq.CountDocuments(ct) : null;
        var source = options.Source ?? (docs as CorpusReader.CorpusSequence)?.Description ?? "in-memory documents";
        var multifield = options.FieldsMode == FieldsMode.Multifield;
        var passages = PassageEmbedding.Validated(options.EmbedPassages ?? PassageEmbedding.Default, "Embedding passages");
        if (options.Embedder is null && options.EmbedPassages is { Mode: not PassageMode.First })
            throw new InvalidInputException("Passages for the dense stage need an embedder: nothing is embedded without one. Drop the passage setting (--embed-passages) or choose an embedder.");
        // Before any work: an embedded index whose vectors could not be held is refused now, not after hours of embedding.
        if (options.Embedder is { } planned && total is long plannedCount)
            DocumentVectors.RequireCapacity(plannedCount, planned.Dimension, char.ToUpperInvariant(source[0]) + source[1..]);

        System.IO.Directory.CreateDirectory(temp);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long count = 0;
        var schema = new KeptFieldSchema(null, options.KeepFields ?? (docs as CorpusReader.CorpusSequence)?.KeepFields);
        using (var analyzer = IndexAnalyzer.Create(IndexAnalyzer.Name, temp))
        using (LuceneDirectory dir = FSDirectory.Open(temp))
        {
            var config = new IndexWriterConfig(IndexAnalyzer.Version, analyzer)
            {
                OpenMode = OpenMode.CREATE,
                Similarity = new BM25Similarity(options.K1, options.B),
                RAMBufferSizeMB = 128,
            };
            using var writer = new IndexWriter(dir, config);
            var ids = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var doc in docs)
            {
                ct.ThrowIfCancellationRequested();
                if (doc is null || doc.Id is null || doc.Title is null || doc.Text is null)
                {
                    throw new ArgumentException($"Document {count + 1} is null or has a null id, title or text.", nameof(docs));
                }
                if (!ids.TryAdd(doc.Id, count + 1))
                {
                    throw new InvalidInputException(
                        $"Expected unique document ids, found '{doc.Id}' as document {ids[doc.Id]} and document {count + 1}. Remove or rename one of them.");
                }
                if (IndexFields.TooLongTerm(doc.Id) is { } idBytes)
                    throw new InvalidInputException(IndexFields.TooLongMessage($"The id of document {count + 1} of {source}", idBytes, keyword: false));
                var lucene = ToLucene(doc, multifield);
                schema.AddTo(lucene, doc, CorpusReader.CorpusPosition.Describe(docs, doc, count + 1, source));
                writer.AddDocument(lucene);
                AddToFingerprint(hash, doc);
                count++;
                if (count % ProgressEvery == 0) progress?.Report(new IndexingProgress(count, total, clock.Elapsed, "adding"));
            }
            ct.ThrowIfCancellationRequested();
            schema.CheckEveryKeptFieldOccurs(source);
            progress?.Report(new IndexingProgress(count, total, clock.Elapsed, "merging"));
            // One segment: Lucene doc ids are then 0..N-1 in corpus order, which Bm25Searcher.GetDocumentAt relies on.
            writer.ForceMerge(1);
            writer.Commit();
        }
        ct.ThrowIfCancellationRequested();

        var stats = new SortedDictionary<string, IndexFieldStatistics>(StringComparer.Ordinal);
        using (LuceneDirectory dir = FSDirectory.Open(temp))
        using (var reader = DirectoryReader.Open(dir))
        {
            foreach (var field in IndexFields.Searchable(options.FieldsMode))
            {
                stats[field] = FieldStatistics(reader, field);
            }
        }
        var embeddings = options.Embedder is { } embedder ? Embed(temp, embedder, passages, count, source, clock, progress, ct) : null;
        var now = DateTimeOffset.UtcNow;
        var manifest = new IndexManifest(
            IndexManifest.CurrentFormatVersion, IndexAnalyzer.Name, options.K1, options.B, options.FieldsMode, count,
            "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()), source, now, stats, embeddings,
            Generation: 0, History: [new IndexChange(0, "build", source, count, 0, 0, 0, count, now)], KeptFields: schema.Types, KeepFields: schema.Keep);
        manifest.Write(temp);
        progress?.Report(new IndexingProgress(count, total, clock.Elapsed, "done"));
        return manifest;
    }

    /// <summary>
    /// Embeds every document of the index in <paramref name="temp"/> in Lucene document order (= corpus
    /// order, one segment), reading title and text back from the stored fields, whole or as <paramref name="passages"/>.
    /// With passages, their number is counted first and refused when the vectors would not fit (<see cref="DocumentVectors.RequireCapacity"/>).
    /// </summary>
    private static EmbeddingInfo Embed(string temp, BiEncoder embedder, PassageOptions passages, long count, string source, Stopwatch clock,
        IProgress<IndexingProgress>? progress, CancellationToken ct)
    {
        using LuceneDirectory dir = FSDirectory.Open(temp);
        using var reader = DirectoryReader.Open(dir);
        if (reader.MaxDoc != count || reader.NumDeletedDocs != 0)
            throw new InvalidOperationException($"Expected {count} documents without deletions in the new index, found {reader.MaxDoc} ({reader.NumDeletedDocs} deleted).");
        IEnumerable<(string? Title, string? Text)> Documents()
        {
            for (var doc = 0; doc < reader.MaxDoc; doc++)
            {
                var d = reader.Document(doc);
                yield return (d.Get(IndexFields.Title), d.Get(IndexFields.Text));
            }
        }
        if (passages.Mode != PassageMode.First)
        {
            long planned = 0;
            foreach (var (title, text) in Documents())
            {
                ct.ThrowIfCancellationRequested();
                planned += PassageFit.Split(passages, title, text, embedder, out _).Count;
            }
            DocumentVectors.RequireCapacity(planned, embedder.Dimension, char.ToUpperInvariant(source[0]) + source[1..], passages: true);
        }
        progress?.Report(new IndexingProgress(0, count, clock.Elapsed, "embedding"));
        return DocumentVectors.Write(temp, embedder, Documents(), passages,
            done => progress?.Report(new IndexingProgress(done, count, clock.Elapsed, "embedding")), ct);
    }

    internal static IndexFieldStatistics FieldStatistics(IndexReader reader, string field)
    {
        var terms = MultiFields.GetTerms(reader, field);
        if (terms is null) return new IndexFieldStatistics(0, 0, 0);
        long unique = 0;
        var e = terms.GetEnumerator();
        while (e.MoveNext()) unique++;
        return new IndexFieldStatistics(unique, terms.SumTotalTermFreq, terms.DocCount);
    }

    internal static Document ToLucene(CorpusDocument doc, bool multifield)
    {
        var d = new Document
        {
            new StringField(IndexFields.Id, doc.Id, Field.Store.YES),
            // Column copy of the id: ranking reads ids for k + margin hits without decompressing stored documents.
            new BinaryDocValuesField(IndexFields.Id, new BytesRef(doc.Id)),
        };
        if (multifield)
        {
            d.Add(new TextField(IndexFields.Title, doc.Title, Field.Store.YES));
            d.Add(new TextField(IndexFields.Contents, doc.Text, Field.Store.NO));
        }
        else
        {
            d.Add(new StoredField(IndexFields.Title, doc.Title));
            // Title and text analysed together; "\n" keeps the last title word and first text word apart.
            d.Add(new TextField(IndexFields.Contents, doc.Title.Length == 0 ? doc.Text : doc.Title + "\n" + doc.Text, Field.Store.NO));
        }
        d.Add(new StoredField(IndexFields.Text, doc.Text));
        return d;
    }

    internal static void AddToFingerprint(IncrementalHash hash, CorpusDocument doc)
    {
        Span<byte> length = stackalloc byte[8];
        foreach (var s in (ReadOnlySpan<string>)[doc.Id, doc.Title, doc.Text])
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }
    }

    internal static void Swap(string temp, string target, bool exists, string parent, string name)
    {
        if (!exists)
        {
            System.IO.Directory.Move(temp, target);
            return;
        }
        var old = Path.Combine(parent, $".{name}{ReplacedMarker}{Guid.NewGuid():N}");
        System.IO.Directory.Move(target, old);
        try
        {
            System.IO.Directory.Move(temp, target);
        }
        catch
        {
            System.IO.Directory.Move(old, target);
            TryDelete(temp);
            throw;
        }
        TryDelete(old);
    }

    internal static void TryDelete(string dir)
    {
        try
        {
            if (System.IO.Directory.Exists(dir)) System.IO.Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover hidden folder is harmless and never mistaken for the index.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
