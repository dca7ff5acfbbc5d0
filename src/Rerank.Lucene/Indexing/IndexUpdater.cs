using System.Diagnostics;
using Lucene.Net.Index;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Reranking;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Rerank.Lucene.Indexing;

/// <summary>
/// What an update may check against the index's recorded settings. Null everywhere (the default) means
/// "use what the index records"; a value that differs from the record is refused, never applied.
/// </summary>
/// <param name="Source">Where the documents (or ids) came from, recorded in the manifest's history. Null: taken from a
/// <see cref="CorpusReader"/> sequence, else "in-memory documents".</param>
/// <param name="Embedder">The bi-encoder that embeds added and replaced documents. Required to add or replace documents when the
/// index has document vectors (it must be the model that made them, <see cref="EmbeddingInfo.RequireCompatible"/>; deletions
/// need none); refused when the index has no vectors.
/// The caller owns and disposes it.</param>
/// <param name="K1">BM25 k1 the caller expects the index to have; null: no check.</param>
/// <param name="B">BM25 b the caller expects; null: no check.</param>
/// <param name="FieldsMode">Fields mode the caller expects; null: no check.</param>
/// <param name="Analyzer">Analyzer name the caller expects (<c>lucene-english-porter-48</c>); null: no check.</param>
/// <param name="KeepFields">The kept-field selection the caller expects (<see cref="IndexManifest.KeepFields"/>: empty for none,
/// names for those); null: no check. Whatever is given, an update keeps the fields the index records and leaves out the others.</param>
/// <param name="EmbedPassages">How the caller expects the index to embed documents (<see cref="EmbeddingInfo.PassageOptions"/>: whole
/// documents, or max over passages of a window and stride); null: no check. Added documents are always split as the index records.</param>
public sealed record IndexUpdateOptions(
    string? Source = null,
    BiEncoder? Embedder = null,
    float? K1 = null,
    float? B = null,
    FieldsMode? FieldsMode = null,
    string? Analyzer = null,
    IReadOnlyList<string>? KeepFields = null,
    PassageOptions? EmbedPassages = null);

/// <summary>What one committed update did.</summary>
/// <param name="Manifest">The index's manifest after the update (its <see cref="IndexManifest.Generation"/> is one higher).</param>
/// <param name="Added">Documents whose id was new.</param>
/// <param name="Replaced">Documents that replaced a stored one with the same id.</param>
/// <param name="Deleted">Stored documents deleted.</param>
/// <param name="NotFound">Ids asked to be deleted that the index did not have, in the order given (each once).</param>
/// <param name="Committed">False when the update changed nothing (no documents given, and no id to delete was in the index):
/// then nothing was written, and <paramref name="Manifest"/> is the index's unchanged manifest (same generation).</param>
/// <param name="EmbeddedVectors">Vectors this update embedded for its added and replaced documents: one per document, or their
/// passages when the index embeds passages; 0 without vectors.</param>
public sealed record IndexUpdateResult(IndexManifest Manifest, long Added, long Replaced, long Deleted, IReadOnlyList<string> NotFound, bool Committed = true,
    long EmbeddedVectors = 0);

/// <summary>
/// Changes an existing index in place of a rebuild: adds documents, replaces documents by id, deletes documents by id,
/// with the analyzer, BM25 parameters, fields mode and embedder the index records.
/// </summary>
/// <remarks>
/// <para>How: with the index's write lock held (<see cref="IndexWriteLock"/>; one build or update at a time), the index's
/// Lucene files are copied into a hidden sibling folder <c>.NAME.updating-GUID</c>; there Lucene's own
/// <see cref="IndexWriter"/> applies <c>UpdateDocument</c> (delete by the id term, then add) and <c>DeleteDocuments</c>,
/// expunges the deleted documents (<c>ForceMergeDeletes</c>, with no deleted share allowed) and commits; the vectors of
/// unchanged documents are carried over by id and new documents embedded, in the new Lucene document order; then the new
/// manifest (generation + 1, a history entry) is written and the folder swapped in for the old one, like a build.
/// So an update that fails, is cancelled or killed at any point leaves the index at its last commit, searchable, and the
/// next writer removes the leftover folder. Open <see cref="Retrieval.Bm25Searcher"/>s see the change after
/// <see cref="Retrieval.Bm25Searcher.Refresh"/> (called before each operation unless opened with <c>reopenWhenRebuilt: false</c>).</para>
/// <para>BM25 after updates: Lucene's term statistics (document frequency, max doc, total term frequency) count deleted
/// documents until their segment is merged. Expunging every deletion before the commit makes them exactly those of an index
/// built from scratch on the same final documents, so scores are equal (a test checks this to the last bit); only the Lucene
/// document order differs (kept documents first in their old order, then the added and replaced ones). The price: an update
/// that replaces or deletes anything rewrites the segments holding those documents, and every update copies the index files
/// once (both linear in the index size; the sample's 20 documents take milliseconds, SciFact's 5,183 well under a second).</para>
/// </remarks>
/// <example>
/// <code>
/// var result = IndexUpdater.Update("./idx", CorpusReader.ReadJsonl("more.jsonl"), deleteIds: ["doc7"], new IndexUpdateOptions());
/// Console.WriteLine($"generation {result.Manifest.Generation}: +{result.Added} ~{result.Replaced} -{result.Deleted}");
/// </code>
/// </example>
public static class IndexUpdater
{
    private const int ProgressEvery = 5000;

    /// <summary>Adds or replaces <paramref name="documents"/> (by id) and deletes the documents with <paramref name="deleteIds"/>, in one commit.</summary>
    /// <param name="indexDir">An index built by <see cref="IndexBuilder.Build"/>.</param>
    /// <param name="documents">Documents to add (new id) or replace (existing id); ids must be unique among them.
    /// Enumerated once, after the lock is taken.</param>
    /// <param name="deleteIds">Ids to delete; ids the index does not have are reported in <see cref="IndexUpdateResult.NotFound"/>.
    /// An id may not be both deleted and added.</param>
    /// <param name="options">Expected settings (checked against the manifest), the embedder, the source description.</param>
    /// <param name="progress">Receives progress every 5,000 documents and per stage ("adding", "merging", "embedding", "done").</param>
    /// <param name="ct">Cancels the update; the index stays at its last commit.</param>
    /// <returns>What was done and the new manifest; when nothing changes (no documents, and none of the ids to delete in the
    /// index), nothing is committed: <see cref="IndexUpdateResult.Committed"/> is false and the manifest is the old one.</returns>
    /// <exception cref="InvalidInputException">The folder is not an index; an expected setting differs from the recorded one
    /// (the message names both values: analyzer, fields mode, k1, b, kept-field selection); the embedder is missing, extra or not the model of the vectors; two documents share an id;
    /// an id is both added and deleted; the documents are invalid (from <see cref="CorpusReader"/>); or another build or update of
    /// the index is running.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled before the swap; the index is unchanged.</exception>
    public static IndexUpdateResult Update(
        string indexDir,
        IEnumerable<CorpusDocument> documents,
        IEnumerable<string> deleteIds,
        IndexUpdateOptions options,
        IProgress<IndexingProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(indexDir);
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(deleteIds);
        ArgumentNullException.ThrowIfNull(options);

        var target = Path.GetFullPath(indexDir).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(target) ?? throw new InvalidInputException(
            $"Expected an index folder below a parent folder, found '{indexDir}'. Choose a folder such as ./idx.", indexDir);
        var name = Path.GetFileName(target);
        // Fails early, before the lock, for a folder that is not an index at all.
        IndexManifest.Read(indexDir);

        using var writeLock = IndexWriteLock.Acquire(target);
        IndexBuilder.RemoveLeftovers(parent, name);
        // The new generation is written to a new folder that replaces this one: nothing of the user's may be in it.
        Output.OutputTarget.RequireOnlyIndexEntries(indexDir);
        var manifest = IndexManifest.Read(indexDir);
        CheckSettings(indexDir, manifest, options);
        var temp = Path.Combine(parent, $".{name}{IndexBuilder.UpdatingMarker}{Guid.NewGuid():N}");
        IndexUpdateResult result;
        try
        {
            result = UpdateInto(indexDir, target, temp, manifest, documents, deleteIds, options, progress, ct);
            ct.ThrowIfCancellationRequested();
        }
        catch
        {
            IndexBuilder.TryDelete(temp);
            throw;
        }
        if (!result.Committed)
        {
            // Nothing changed: no new generation, the index files stay as they are.
            IndexBuilder.TryDelete(temp);
            return result;
        }
        IndexBuilder.Swap(temp, target, exists: true, parent, name);
        return result;
    }

    /// <summary>Adds or replaces documents by id; see <see cref="Update"/>.</summary>
    public static IndexUpdateResult AddOrReplace(string indexDir, IEnumerable<CorpusDocument> documents, IndexUpdateOptions options,
        IProgress<IndexingProgress>? progress = null, CancellationToken ct = default) =>
        Update(indexDir, documents, [], options, progress, ct);

    /// <summary>Deletes documents by id; ids the index does not have are counted in <see cref="IndexUpdateResult.NotFound"/>. See <see cref="Update"/>.</summary>
    public static IndexUpdateResult Delete(string indexDir, IEnumerable<string> ids, IndexUpdateOptions options,
        IProgress<IndexingProgress>? progress = null, CancellationToken ct = default) =>
        Update(indexDir, [], ids, options, progress, ct);

    /// <summary>Refuses expected settings that differ from the manifest, naming every difference.</summary>
    private static void CheckSettings(string indexDir, IndexManifest manifest, IndexUpdateOptions options)
    {
        var differences = new List<string>();
        if (options.Analyzer is { } analyzer && analyzer != manifest.Analyzer) differences.Add($"analyzer '{analyzer}' vs '{manifest.Analyzer}'");
        if (options.FieldsMode is { } mode && mode != manifest.FieldsMode)
            differences.Add($"fields {mode.ToString().ToLowerInvariant()} vs {manifest.FieldsMode.ToString().ToLowerInvariant()}");
        if (options.K1 is { } k1 && k1 != manifest.K1) differences.Add(FormattableString.Invariant($"k1 {k1} vs {manifest.K1}"));
        if (options.B is { } b && b != manifest.B) differences.Add(FormattableString.Invariant($"b {b} vs {manifest.B}"));
        if (options.KeepFields is { } keep && IndexManifest.DescribeKeepFields(keep) != IndexManifest.DescribeKeepFields(manifest.KeepFields))
            differences.Add($"keep-fields {IndexManifest.DescribeKeepFields(keep)} vs {IndexManifest.DescribeKeepFields(manifest.KeepFields)}");
        if (options.EmbedPassages is { } asked && manifest.Embeddings is { } recordedVectors)
        {
            var expected = PassageEmbedding.Validated(asked, "The passages asked for");
            if (expected != recordedVectors.PassageOptions) differences.Add($"embedding passages {expected} vs {recordedVectors.PassageOptions}");
        }
        if (differences.Count > 0)
        {
            throw new InvalidInputException(
                $"Cannot update index '{indexDir}' with other settings than it was built with: {string.Join(", ", differences)} (asked for vs recorded). "
                + "An update always uses the recorded settings: drop those options, or rebuild the index with them (`search-host index ... --overwrite`).",
                Path.Combine(indexDir, IndexManifest.FileName));
        }
        if (manifest.Embeddings is { } info)
        {
            // Without one, only deletions are possible (checked at the first document to add).
            if (options.Embedder is not null) info.RequireCompatible(options.Embedder, indexDir);
        }
        else if (options.Embedder is not null || options.EmbedPassages is { Mode: not PassageMode.First })
        {
            throw NoVectors(indexDir);
        }
    }

    /// <summary>The refusal of an embedder for an index without vectors (also raised by search-host before it loads one).</summary>
    internal static InvalidInputException NoVectors(string indexDir) => new(
        $"Index '{indexDir}' keeps no document vectors (built with --embedder none), so an update embeds nothing; drop the embedder (--embedder none), "
        + "or rebuild the index with one.", indexDir);

    private static IndexUpdateResult UpdateInto(
        string indexDir, string target, string temp, IndexManifest manifest, IEnumerable<CorpusDocument> documents, IEnumerable<string> deleteIds,
        IndexUpdateOptions options, IProgress<IndexingProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        CopyLuceneFiles(target, temp);
        var multifield = manifest.FieldsMode == FieldsMode.Multifield;
        var source = options.Source ?? (documents as CorpusReader.CorpusSequence)?.Description ?? "in-memory documents";
        var upserted = new Dictionary<string, CorpusDocument>(StringComparer.Ordinal);
        var order = new Dictionary<string, long>(StringComparer.Ordinal);
        long added = 0, replaced = 0, deleted = 0;
        var notFound = new List<string>();
        var schema = new KeptFieldSchema(manifest.KeptFields, manifest.KeepFields);

        using (var analyzer = IndexAnalyzer.Create(manifest.Analyzer, indexDir))
        using (LuceneDirectory dir = FSDirectory.Open(temp))
        {
            var mergePolicy = new TieredMergePolicy { ForceMergeDeletesPctAllowed = 0 };
            var config = new IndexWriterConfig(IndexAnalyzer.Version, analyzer)
            {
                OpenMode = OpenMode.APPEND,
                Similarity = new BM25Similarity(manifest.K1, manifest.B),
                RAMBufferSizeMB = 128,
                MergePolicy = mergePolicy,
                MergeScheduler = new SerialMergeScheduler(),
            };
            using var before = DirectoryReader.Open(dir);
            using var writer = new IndexWriter(dir, config);
            long count = 0;
            foreach (var doc in documents)
            {
                ct.ThrowIfCancellationRequested();
                if (doc is null || doc.Id is null || doc.Title is null || doc.Text is null)
                    throw new ArgumentException($"Document {count + 1} is null or has a null id, title or text.", nameof(documents));
                if (!order.TryAdd(doc.Id, count + 1))
                {
                    throw new InvalidInputException(
                        $"Expected unique document ids in an update, found '{doc.Id}' as document {order[doc.Id]} and document {count + 1} of {source}. Remove or rename one of them.");
                }
                if (manifest.Embeddings is { } kept && options.Embedder is null)
                {
                    throw new InvalidInputException(
                        $"Index '{indexDir}' keeps document vectors ({kept.Model}), so added and replaced documents must be embedded, but no embedder was given. "
                        + "Omit --embedder to use the one the index records, or pass that same model.", indexDir);
                }
                if (IndexFields.TooLongTerm(doc.Id) is { } idBytes)
                    throw new InvalidInputException(IndexFields.TooLongMessage($"The id of document {count + 1} of {source}", idBytes, keyword: false));
                var term = new Term(IndexFields.Id, doc.Id);
                if (before.DocFreq(term) > 0) replaced++;
                else added++;
                var lucene = IndexBuilder.ToLucene(doc, multifield);
                schema.AddTo(lucene, doc, CorpusReader.CorpusPosition.Describe(documents, doc, count + 1, source));
                writer.UpdateDocument(term, lucene);
                if (manifest.Embeddings is not null) upserted[doc.Id] = doc;
                count++;
                if (count % ProgressEvery == 0) progress?.Report(new IndexingProgress(count, null, clock.Elapsed, "adding"));
            }
            schema.CheckEveryKeptFieldOccurs(source);
            var asked = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in deleteIds)
            {
                ct.ThrowIfCancellationRequested();
                ArgumentNullException.ThrowIfNull(id, nameof(deleteIds));
                if (!asked.Add(id)) continue;
                if (order.ContainsKey(id))
                {
                    throw new InvalidInputException(
                        $"Id '{id}' is both added (document {order[id]} of {source}) and deleted in one update. Do one or the other.");
                }
                var term = new Term(IndexFields.Id, id);
                if (before.DocFreq(term) > 0)
                {
                    writer.DeleteDocuments(term);
                    deleted++;
                }
                else
                {
                    notFound.Add(id);
                }
            }
            ct.ThrowIfCancellationRequested();
            if (count == 0 && deleted == 0)
            {
                writer.Rollback();
                progress?.Report(new IndexingProgress(0, 0, clock.Elapsed, "done"));
                return new IndexUpdateResult(manifest, 0, 0, 0, notFound, Committed: false);
            }
            progress?.Report(new IndexingProgress(count, count, clock.Elapsed, "merging"));
            // Drop deleted documents now, so term statistics and max doc equal those of a fresh build on the final documents.
            writer.ForceMergeDeletes(doWait: true);
            writer.Commit();
        }
        ct.ThrowIfCancellationRequested();

        var stats = new SortedDictionary<string, IndexFieldStatistics>(StringComparer.Ordinal);
        string[] newIds;
        using (LuceneDirectory dir = FSDirectory.Open(temp))
        using (var reader = DirectoryReader.Open(dir))
        {
            if (reader.NumDeletedDocs != 0)
                throw new InvalidOperationException($"Expected no deleted documents after expunging deletes, found {reader.NumDeletedDocs}.");
            foreach (var field in IndexFields.Searchable(manifest.FieldsMode)) stats[field] = IndexBuilder.FieldStatistics(reader, field);
            newIds = IdsInOrder(reader);
        }
        long embeddedVectors = 0;
        var embeddings = manifest.Embeddings is { } info
            ? CarryVectors(indexDir, temp, manifest, info, options.Embedder!, newIds, upserted, clock, progress, out embeddedVectors, ct)
            : null;

        ct.ThrowIfCancellationRequested();
        var generation = manifest.Generation + 1;
        var history = manifest.History?.ToList() ?? [new IndexChange(0, "build", manifest.Source, manifest.DocumentCount, 0, 0, 0, manifest.DocumentCount, manifest.CreatedUtc)];
        var kind = added + replaced == 0 && order.Count == 0 ? "delete" : "update";
        var deleteSource = options.Source ?? "ids given";
        history.Add(new IndexChange(generation, kind, kind == "delete" ? deleteSource : source, added, replaced, deleted, notFound.Count, newIds.Length, DateTimeOffset.UtcNow));
        var updated = manifest with
        {
            DocumentCount = newIds.Length,
            FieldStatistics = stats,
            Embeddings = embeddings,
            Generation = generation,
            History = history,
            KeptFields = schema.Types,
            KeepFields = schema.Keep,
        };
        updated.Write(temp);
        progress?.Report(new IndexingProgress(order.Count, order.Count, clock.Elapsed, "done"));
        return new IndexUpdateResult(updated, added, replaced, deleted, notFound, EmbeddedVectors: embeddedVectors);
    }

    /// <summary>
    /// Copies the Lucene files of <paramref name="target"/> (not its lock, manifest or vectors) into a new folder
    /// <paramref name="temp"/>. Lucene never changes a file it wrote, so the copy is a consistent snapshot of the last commit
    /// (the write lock keeps other writers out).
    /// </summary>
    private static void CopyLuceneFiles(string target, string temp)
    {
        System.IO.Directory.CreateDirectory(temp);
        foreach (var file in new DirectoryInfo(target).EnumerateFiles())
        {
            if (file.Name == IndexWriter.WRITE_LOCK_NAME || file.Name is IndexManifest.FileName or DocumentVectors.DataFile or DocumentVectors.HeaderFile or PassageEmbedding.CountsFile) continue;
            file.CopyTo(Path.Combine(temp, file.Name));
        }
    }

    /// <summary>Every document id in Lucene document order, from the id column.</summary>
    internal static string[] IdsInOrder(IndexReader reader)
    {
        // An index without documents (every one deleted) has no id column at all: that is not an old index, just an empty one.
        if (reader.MaxDoc == 0) return [];
        var column = MultiDocValues.GetBinaryValues(reader, IndexFields.Id)
            ?? throw new InvalidInputException(
                "This index has no id column (doc values): it was built by an older development version. Rebuild it with `search-host index ... --overwrite`.");
        var ids = new string[reader.MaxDoc];
        var bytes = new BytesRef();
        for (var doc = 0; doc < ids.Length; doc++)
        {
            column.Get(doc, bytes);
            ids[doc] = bytes.Utf8ToString();
        }
        return ids;
    }

    /// <summary>
    /// Writes the vectors of the updated index into <paramref name="temp"/>, row i for Lucene document i: an unchanged
    /// document's vector taken by id from the old store, an added or replaced document embedded now.
    /// </summary>
    private static EmbeddingInfo CarryVectors(
        string indexDir, string temp, IndexManifest manifest, EmbeddingInfo info, BiEncoder encoder, string[] newIds,
        Dictionary<string, CorpusDocument> upserted, Stopwatch clock, IProgress<IndexingProgress>? progress, out long embedded, CancellationToken ct)
    {
        var old = DocumentVectors.Open(indexDir, manifest);
        string[] oldIds;
        using (LuceneDirectory dir = FSDirectory.Open(indexDir))
        using (var reader = DirectoryReader.Open(dir))
        {
            oldIds = IdsInOrder(reader);
        }
        if (oldIds.Length != old.DocumentCount)
            throw new InvalidInputException(
                $"Index '{indexDir}' has {oldIds.Length} documents but vectors of {old.DocumentCount}. Rebuild it with `search-host index ... --overwrite`.", indexDir);
        var oldRow = new Dictionary<string, int>(oldIds.Length, StringComparer.Ordinal);
        for (var i = 0; i < oldIds.Length; i++) oldRow[oldIds[i]] = i;

        // Added and replaced documents are split as the index records (whole, or its passages fitted to the encoder's max length,
        // as a build splits them); the capacity counts vectors.
        var splitter = info.PassageOptions;
        var split = upserted.Values.Select(d => (d.Id, Texts: PassageFit.Split(splitter, d.Title, d.Text, encoder, out _))).ToList();
        long planned = split.Sum(s => (long)s.Texts.Count);
        embedded = planned;
        foreach (var id in newIds)
            if (!upserted.ContainsKey(id) && oldRow.TryGetValue(id, out var r)) planned += old.Rows(r).Length / info.Dimension;
        DocumentVectors.RequireCapacity(planned, info.Dimension, $"Index '{indexDir}' after this update", passages: info.Passages is not null);

        var embedClock = Stopwatch.StartNew();
        var fresh = new Dictionary<string, float[]>(upserted.Count, StringComparer.Ordinal);
        progress?.Report(new IndexingProgress(0, upserted.Count, clock.Elapsed, "embedding"));
        foreach (var chunk in split.Chunk(DocumentVectors.Chunk))
        {
            ct.ThrowIfCancellationRequested();
            var values = encoder.EmbedMany(chunk.SelectMany(d => d.Texts).ToList(), ct);
            var offset = 0;
            foreach (var (id, texts) in chunk)
            {
                fresh[id] = values.AsSpan(offset, texts.Count * info.Dimension).ToArray();
                offset += texts.Count * info.Dimension;
            }
            progress?.Report(new IndexingProgress(fresh.Count, upserted.Count, clock.Elapsed, "embedding"));
        }
        // The record's seconds are this update's embedding time, with the number it embedded (docs/s = Embedded / Seconds);
        // an update that embeds nothing (deletions only) keeps the last one's.
        var record = upserted.Count > 0 ? info.AddedBy(encoder) with { Seconds = embedClock.Elapsed.TotalSeconds, Embedded = upserted.Count } : info;
        var written = DocumentVectors.WriteRows(temp, record, newIds.Length, row =>
        {
            var id = newIds[row];
            if (fresh.TryGetValue(id, out var vector)) return vector;
            return oldRow.TryGetValue(id, out var r) ? old.Rows(r)
                : throw new InvalidOperationException($"Document '{id}' has neither a stored nor a new vector.");
        });
        return written;
    }
}
