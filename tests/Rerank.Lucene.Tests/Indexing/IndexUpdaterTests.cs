using System.Text.Json;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Cli;

namespace Rerank.Lucene.Tests.Indexing;

/// <summary>
/// <see cref="IndexUpdater"/> on the sample corpus: the reference for every ranking is an index built from scratch
/// on the same final documents by <see cref="IndexBuilder"/>.
/// </summary>
public sealed class IndexUpdaterTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDir("updater");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    internal static readonly CorpusDocument[] Added =
    [
        new("new-1", "Tidal power", "Tidal turbines turn the rise and fall of the sea into electricity twice a day."),
        new("new-2", "Sourdough", "A sourdough starter is wild yeast and bacteria; it makes bread dough rise slowly and taste sour."),
        new("new-3", "", "Engineers add dampers to suspension bridges so that wind and walking crowds do not make them sway."),
    ];

    internal static readonly CorpusDocument Replacement =
        new("sci-02", "Photosynthesis, revised", "Leaves use chlorophyll to turn light, water and carbon dioxide into sugar; oxygen is left over.");

    internal const string DeletedId = "sci-01";

    private static readonly string[] ExtraQueries =
    [
        "tidal electricity from the sea", "sourdough yeast bread rise", "why do bridges sway in the wind", "why is the sky blue",
        "chlorophyll sugar oxygen", "light",
    ];

    private static CorpusDocument[] SampleDocuments() => CorpusReader.ReadJsonl(SampleCorpus.Corpus).ToArray();

    /// <summary>The documents the index should hold after the update, as a from-scratch corpus.</summary>
    internal static CorpusDocument[] FinalDocuments() =>
        [.. SampleDocuments().Where(d => d.Id != DeletedId).Select(d => d.Id == Replacement.Id ? Replacement : d), .. Added];

    private static string[] Queries() =>
        [.. File.ReadLines(SampleCorpus.Queries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!), .. ExtraQueries];

    private string BuildSample(string name = "idx", FieldsMode mode = FieldsMode.Flat)
    {
        var index = Path.Combine(_root, name);
        IndexBuilder.Build(CorpusReader.ReadJsonl(SampleCorpus.Corpus), index, new IndexOptions(FieldsMode: mode));
        return index;
    }

    private static (string Id, float Score)[] Ranking(string index, string query)
    {
        using var searcher = Bm25Searcher.Open(index);
        return searcher.Search(query, 100).Select(h => (h.DocId, h.Score)).ToArray();
    }

    [Theory]
    [InlineData(FieldsMode.Flat)]
    [InlineData(FieldsMode.Multifield)]
    public void Update_AddReplaceDelete_Bm25ScoresEqualAFreshBuildOfTheFinalDocuments(FieldsMode mode)
    {
        var index = BuildSample(mode: mode);
        var scratch = Path.Combine(_root, "scratch");
        IndexBuilder.Build(FinalDocuments(), scratch, new IndexOptions(FieldsMode: mode));

        var result = IndexUpdater.Update(index, [.. Added, Replacement], [DeletedId], new IndexUpdateOptions());

        Assert.Equal((3L, 1L, 1L), (result.Added, result.Replaced, result.Deleted));
        Assert.Empty(result.NotFound);
        var fresh = IndexManifest.Read(scratch);
        var updated = IndexManifest.Read(index);
        Assert.Equal(fresh.DocumentCount, updated.DocumentCount);
        Assert.Equal(SampleCorpus.DocumentCount + 3 - 1, updated.DocumentCount);
        Assert.Equal(fresh.FieldStatistics, updated.FieldStatistics);
        foreach (var query in Queries())
        {
            Assert.Equal(Ranking(scratch, query), Ranking(index, query));
        }
        // The changes are really there: the replacement's new words find it, the deleted document's do not.
        Assert.Equal("sci-02", Ranking(index, "chlorophyll sugar oxygen revised")[0].Id);
        Assert.DoesNotContain(Ranking(index, "Rayleigh scatter"), h => h.Id == DeletedId);
    }

    [Theory]
    [InlineData("sub", true)]
    [InlineData(".git", true)]
    [InlineData("mynotes.txt", false)]
    public void UpdateAndDelete_IndexFolderHoldingSomethingOfTheUsers_RefusedAndNothingChanged(string entry, bool folder)
    {
        // The update swaps in a new folder: a folder (or file) of the user's inside the index would be lost (QA: sub/ and .git/ were).
        var index = BuildSample();
        var path = Path.Combine(index, entry);
        if (folder)
        {
            Directory.CreateDirectory(path);
            File.WriteAllText(Path.Combine(path, "f"), "mine");
        }
        else File.WriteAllText(path, "mine");
        var manifest = File.ReadAllText(Path.Combine(index, IndexManifest.FileName));

        var update = Assert.Throws<InvalidInputException>(() => IndexUpdater.Update(index, Added, [], new IndexUpdateOptions()));
        var delete = Assert.Throws<InvalidInputException>(() => IndexUpdater.Delete(index, [DeletedId], new IndexUpdateOptions()));

        foreach (var e in new[] { update, delete })
            Assert.Equal($"Index '{index}' holds '{entry}'{(folder ? " (a folder)" : "")}, which is not part of a SearchRerank index. An update or delete (index --update, delete) "
                + "writes the index anew and swaps it in, so it would be lost: move it out of the index folder, then run the command again.", e.Message);
        Assert.Equal("mine", File.ReadAllText(folder ? Path.Combine(path, "f") : path));
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(index, IndexManifest.FileName)));
    }

    [Fact]
    public void Update_Manifest_CountsGenerationsAndHistory()
    {
        var index = BuildSample();
        var built = IndexManifest.Read(index);

        IndexUpdater.AddOrReplace(index, [.. Added, Replacement], new IndexUpdateOptions(Source: "more.jsonl"));
        var second = IndexUpdater.Delete(index, [DeletedId, "no-such-doc", DeletedId], new IndexUpdateOptions());

        var manifest = IndexManifest.Read(index);
        Assert.Equal(2, manifest.Generation);
        Assert.Equal(43, manifest.DocumentCount);
        Assert.Equal((built.CorpusFingerprint, built.Source, built.CreatedUtc), (manifest.CorpusFingerprint, manifest.Source, manifest.CreatedUtc));
        Assert.Equal(
            [(0L, "build", 41L, 0L, 0L, 0L, 41L), (1L, "update", 3L, 1L, 0L, 0L, 44L), (2L, "delete", 0L, 0L, 1L, 1L, 43L)],
            manifest.History!.Select(h => (h.Generation, h.Kind, h.Added, h.Replaced, h.Deleted, h.NotFound, h.DocumentCount)));
        Assert.Equal("more.jsonl", manifest.History![1].Source);
        Assert.Equal(["no-such-doc"], second.NotFound);
        Assert.Equal(0, second.Added + second.Replaced);
    }

    [Fact]
    public void Delete_OnlyUnknownIds_ReportsThemAndChangesNoDocument()
    {
        var index = BuildSample();
        var before = Ranking(index, "why is the sky blue");
        var files = Directory.GetFiles(index).Order().Select(f => (Path.GetFileName(f), File.GetLastWriteTimeUtc(f), File.ReadAllBytes(f).Length)).ToArray();
        var manifestBefore = File.ReadAllText(Path.Combine(index, IndexManifest.FileName));

        var result = IndexUpdater.Delete(index, ["x1", "x2"], new IndexUpdateOptions());
        var none = IndexUpdater.AddOrReplace(index, [], new IndexUpdateOptions());

        Assert.Equal(0, result.Deleted);
        Assert.Equal(["x1", "x2"], result.NotFound);
        Assert.Equal(SampleCorpus.DocumentCount, result.Manifest.DocumentCount);
        // Nothing changed, so nothing was committed: same generation, the very same files, no leftover folder.
        Assert.False(result.Committed);
        Assert.False(none.Committed);
        Assert.Equal((0L, 0L, 0L, 0), (none.Added, none.Replaced, none.Deleted, none.NotFound.Count));
        Assert.Equal((0L, 0L), (result.Manifest.Generation, none.Manifest.Generation));
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(index, IndexManifest.FileName)));
        Assert.Equal(files, Directory.GetFiles(index).Order().Select(f => (Path.GetFileName(f), File.GetLastWriteTimeUtc(f), File.ReadAllBytes(f).Length)).ToArray());
        Assert.Equal(["idx"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
        Assert.Equal(before, Ranking(index, "why is the sky blue"));
    }

    [Fact]
    public void Delete_EveryDocument_CommitsAnEmptyIndexThatSearchesAndTakesNewDocuments()
    {
        var index = BuildSample();
        var ids = SampleDocuments().Select(d => d.Id).ToArray();

        var result = IndexUpdater.Delete(index, ids, new IndexUpdateOptions());

        Assert.Equal(SampleCorpus.DocumentCount, result.Deleted);
        Assert.Equal((0L, 1), (result.Manifest.DocumentCount, result.Manifest.Generation));
        Assert.Equal(0L, IndexManifest.Read(index).DocumentCount);
        using (var searcher = Bm25Searcher.Open(index))
        {
            Assert.Equal(0, searcher.DocumentCount);
            Assert.Empty(searcher.Search("why is the sky blue", 10));
            Assert.Null(searcher.GetDocument(ids[0]));
        }

        // The empty index takes documents again, and then ranks exactly like a fresh build of them.
        var again = IndexUpdater.AddOrReplace(index, Added, new IndexUpdateOptions());
        var scratch = Path.Combine(_root, "scratch");
        IndexBuilder.Build(Added, scratch, new IndexOptions());
        Assert.Equal((3L, 0L, 3L), (again.Added, again.Replaced, again.Manifest.DocumentCount));
        foreach (var query in ExtraQueries) Assert.Equal(Ranking(scratch, query), Ranking(index, query));
    }

    private static CorpusDocument WithFields(string id, string text, string fieldsJson) =>
        new(id, "", text, JsonDocument.Parse(fieldsJson).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()));

    [Fact]
    public void Update_KeepsTheRecordedFieldSelection_AndRefusesAnother()
    {
        var index = Path.Combine(_root, "fields");
        IndexBuilder.Build(
            [WithFields("a", "solar panels", """{"lang": "en", "year": 2020, "note": "x"}"""), WithFields("b", "wind turbines", """{"lang": "de", "year": 2021}""")],
            index, new IndexOptions(KeepFields: ["year", "lang"]));
        Assert.Equal(["lang", "year"], IndexManifest.Read(index).KeepFields);

        // Without a selection, the update keeps exactly the recorded fields (lang, year), leaving out the others (note).
        IndexUpdater.AddOrReplace(index, [WithFields("a", "solar power", """{"lang": "fr", "year": 2022, "note": "y"}""")], new IndexUpdateOptions());
        // The same selection, in another order, is not a difference.
        IndexUpdater.AddOrReplace(index, [WithFields("c", "heat pumps", """{"lang": "en", "year": 2019}""")], new IndexUpdateOptions(KeepFields: ["lang", "year"]));
        var manifestBefore = File.ReadAllText(Path.Combine(index, IndexManifest.FileName));
        var other = Assert.Throws<InvalidInputException>(() => IndexUpdater.AddOrReplace(index, [WithFields("b", "x", """{"lang": "en"}""")],
            new IndexUpdateOptions(KeepFields: ["lang"])));
        var none = Assert.Throws<InvalidInputException>(() => IndexUpdater.AddOrReplace(index, [WithFields("b", "x", """{"lang": "en"}""")],
            new IndexUpdateOptions(KeepFields: [])));

        using (var searcher = Bm25Searcher.Open(index))
        {
            var a = searcher.GetDocument("a")!;
            Assert.Equal(["lang", "year"], a.Fields!.Keys.Order());
            Assert.Equal(("fr", 2022), (a.Fields["lang"].GetString(), a.Fields["year"].GetInt32()));
            Assert.Equal(["a"], searcher.Search("solar", 10, filter: DocumentFilter.Parse(["year>2021"])).Select(h => h.DocId));
        }
        Assert.Equal(["lang", "year"], IndexManifest.Read(index).KeepFields);
        Assert.Contains("keep-fields lang vs lang,year (asked for vs recorded)", other.Message);
        Assert.Contains("keep-fields none vs lang,year (asked for vs recorded)", none.Message);
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(index, IndexManifest.FileName)));
    }

    [Fact]
    public void InMemoryKeywordOverTheTermLimit_RefusedNamingDocumentAndField_IndexUntouched()
    {
        var index = BuildSample();
        var manifestBefore = File.ReadAllText(Path.Combine(index, IndexManifest.FileName));
        // 32,767 ASCII characters: one byte over Lucene's limit; in an array, as the second value.
        var tooLong = JsonSerializer.Serialize(new[] { "ok", new string('x', 32_767) });

        var e = Assert.Throws<InvalidInputException>(() => IndexUpdater.AddOrReplace(index,
            [WithFields("n1", "solar", $$"""{"tags": {{tooLong}}}""")], new IndexUpdateOptions()));

        Assert.Equal("Field 'tags' of document 'n1' (document 1 of in-memory documents) is 32,767 bytes long (UTF-8), but Lucene indexes a keyword field's value "
            + "as one term of at most 32,766 bytes. Shorten the value, or leave the field out with --keep-fields (name the fields to keep).", e.Message);
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(index, IndexManifest.FileName)));
        Assert.Equal(["idx"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public void Build_KeepFieldsNamingAFieldNoDocumentHas_RefusedAndNothingWritten()
    {
        var index = Path.Combine(_root, "typo");

        var e = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(
            [WithFields("a", "solar panels", """{"lang": "en", "year": 2020}""")], index, new IndexOptions(KeepFields: ["lang", "yaer", "Lang"])));

        Assert.Equal("--keep-fields names 'Lang', 'yaer', which no document of in-memory documents has (as a string, number, boolean or array of those); "
            + "the kept fields found are: lang. Check the spelling (names are case-sensitive), or drop them from --keep-fields.", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void Update_OtherFieldsModeOrBm25_RefusedNamingEachDifference_IndexUntouched()
    {
        var index = BuildSample();
        var manifestBefore = File.ReadAllText(Path.Combine(index, IndexManifest.FileName));

        var e = Assert.Throws<InvalidInputException>(() => IndexUpdater.AddOrReplace(index, Added,
            new IndexUpdateOptions(FieldsMode: FieldsMode.Multifield, K1: 1.2f, Analyzer: "standard")));

        Assert.Equal($"Cannot update index '{index}' with other settings than it was built with: analyzer 'standard' vs 'lucene-english-porter-48', "
            + "fields multifield vs flat, k1 1.2 vs 0.9 (asked for vs recorded). An update always uses the recorded settings: drop those options, "
            + "or rebuild the index with them (`search-host index ... --overwrite`).", e.Message);
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(index, IndexManifest.FileName)));
        Assert.Equal(["idx"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public void Update_DuplicateIdOrAddedAndDeleted_RefusedAndIndexUntouched()
    {
        var index = BuildSample();

        var duplicate = Assert.Throws<InvalidInputException>(() => IndexUpdater.AddOrReplace(index, [Added[0], Added[1], Added[0]], new IndexUpdateOptions()));
        var both = Assert.Throws<InvalidInputException>(() => IndexUpdater.Update(index, [Added[0]], ["new-1"], new IndexUpdateOptions()));

        Assert.Equal("Expected unique document ids in an update, found 'new-1' as document 1 and document 3 of in-memory documents. Remove or rename one of them.", duplicate.Message);
        Assert.Equal("Id 'new-1' is both added (document 1 of in-memory documents) and deleted in one update. Do one or the other.", both.Message);
        var manifest = IndexManifest.Read(index);
        Assert.Equal((0L, 41L), (manifest.Generation, manifest.DocumentCount));
        Assert.Equal(["idx"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public void Update_FailingDocumentSource_LeavesTheLastCommitAndNoTemporaryFolder()
    {
        var index = BuildSample();
        static IEnumerable<CorpusDocument> Failing()
        {
            yield return Added[0];
            throw new IOException("disk read failed");
        }

        Assert.Throws<IOException>(() => IndexUpdater.AddOrReplace(index, Failing(), new IndexUpdateOptions()));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => IndexUpdater.AddOrReplace(index, Added, new IndexUpdateOptions(), ct: cts.Token));

        using var searcher = Bm25Searcher.Open(index);
        Assert.Equal(SampleCorpus.DocumentCount, searcher.DocumentCount);
        Assert.Null(searcher.GetDocument("new-1"));
        Assert.Equal(["idx"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public void OpenSearcher_WithoutAutomaticReopen_SeesTheUpdateAfterRefresh()
    {
        var index = BuildSample();
        using var searcher = Bm25Searcher.Open(index, reopenWhenRebuilt: false);
        Assert.Equal("Why the sky is blue", searcher.GetDocument(DeletedId)!.Title);

        IndexUpdater.Update(index, [.. Added, Replacement], [DeletedId], new IndexUpdateOptions());

        // Until refreshed, the searcher keeps reading the commit it opened.
        Assert.Equal(SampleCorpus.DocumentCount, searcher.DocumentCount);
        Assert.NotNull(searcher.GetDocument(DeletedId));
        Assert.True(searcher.Refresh());
        Assert.False(searcher.Refresh());
        Assert.Equal(SampleCorpus.DocumentCount + 2, searcher.DocumentCount);
        Assert.Null(searcher.GetDocument(DeletedId));
        Assert.Equal(Replacement, searcher.GetDocument("sci-02"));
        Assert.Equal(Added[2], searcher.GetDocument("new-3"));
    }

    [Fact]
    public void Update_NotAnIndex_Refused()
    {
        var folder = Path.Combine(_root, "nothing");
        var e = Assert.Throws<InvalidInputException>(() => IndexUpdater.AddOrReplace(folder, Added, new IndexUpdateOptions()));
        Assert.Contains("is not a SearchRerank index", e.Message);
        Assert.False(Directory.Exists(folder));
    }
}
