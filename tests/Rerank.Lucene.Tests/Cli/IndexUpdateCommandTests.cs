using System.Text;
using System.Text.Json;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Indexing;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// The index as a living store through <c>search-host</c>: <c>index --update</c>, <c>delete</c>, <c>get</c>, <c>stats</c>
/// and <c>search --offset</c>, checked against an index built from scratch on the final documents by the library.
/// </summary>
public sealed class IndexUpdateCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("cli-update");

    public void Dispose() => _temp.Dispose();

    /// <summary>Writes the three new documents and the replacement of sci-02 as a BEIR corpus.jsonl.</summary>
    internal static string WriteMore(string path)
    {
        var lines = IndexUpdaterTests.Added.Append(IndexUpdaterTests.Replacement)
            .Select(d => JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = d.Id, ["title"] = d.Title, ["text"] = d.Text }));
        File.WriteAllText(path, string.Join("\n", lines) + "\n", new UTF8Encoding(false));
        return path;
    }

    private async Task<string> IndexSample()
    {
        var index = _temp.Combine("idx");
        var built = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--embedder", "none");
        Assert.True(built.ExitCode == 0, built.ToString());
        return index;
    }

    [Fact]
    public async Task EndToEnd_IndexAddThreeReplaceOneDeleteOne_SearchGetAndStatsShowExactlyThat()
    {
        var index = await IndexSample();
        var more = WriteMore(_temp.Combine("more.jsonl"));

        var update = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update");
        var delete = await CliInvocation.SearchHost("delete", "--index", index, IndexUpdaterTests.DeletedId);

        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal($"Updated {index}: 3 added, 1 replaced; now 44 documents (generation 1).\n", update.Output);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Equal($"Deleted 1 document from {index}; now 43 documents (generation 2).\n", delete.Output);

        // search: every query ranks and scores exactly as an index built from scratch on the final documents.
        var scratch = _temp.Combine("scratch");
        IndexBuilder.Build(IndexUpdaterTests.FinalDocuments(), scratch, new IndexOptions());
        using (var reference = Bm25Searcher.Open(scratch))
        {
            foreach (var query in new[] { "tidal electricity from the sea", "sourdough bread", "why do bridges sway", "why is the sky blue", SearchCommandTests.BroadQuery })
            {
                var search = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--json", "--top", "20", query);
                Assert.True(search.ExitCode == 0, search.ToString());
                var (_, hits) = SearchCommandTests.ParseJsonLine(search.OutputLines.Single());
                var expected = reference.Search(query, 20);
                // --json prints the float score; read back as float it is the same number.
                Assert.Equal(expected.Select(h => (h.Rank, h.DocId, h.Score)), hits.Select(h => (h.Rank, h.Id, (float)h.Score)));
            }
        }
        var tidal = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--json", "tidal electricity");
        Assert.Equal("new-1", SearchCommandTests.ParseJsonLine(tidal.OutputLines.Single()).Hits[0].Id);

        // get: the replacement as stored, the deleted document gone.
        var get = await CliInvocation.SearchHost("get", "--index", index, "sci-02");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(JsonSerializer.Serialize(new { id = "sci-02", title = IndexUpdaterTests.Replacement.Title, text = IndexUpdaterTests.Replacement.Text }) + "\n", get.Output);
        var gone = await CliInvocation.SearchHost("get", "--index", index, IndexUpdaterTests.DeletedId);
        Assert.Equal(2, gone.ExitCode);
        Assert.Equal($"error: Index '{index}' has no document with id 'sci-01' (43 documents, generation 2). "
            + "Check the id (ids are case-sensitive); `search-host search` shows the ids of matching documents.\n", gone.Error);

        // stats: count, generation and what each generation did.
        var stats = await CliInvocation.SearchHost("stats", "--index", index, "--json");
        Assert.True(stats.ExitCode == 0, stats.ToString());
        using var json = JsonDocument.Parse(stats.Output);
        var root = json.RootElement;
        Assert.Equal(43, root.GetProperty("documents").GetInt32());
        var manifest = root.GetProperty("manifest");
        Assert.Equal((43, 2), (manifest.GetProperty("documentCount").GetInt32(), manifest.GetProperty("generation").GetInt32()));
        Assert.Equal([("build", 41, 0, 0, 41), ("update", 3, 1, 0, 44), ("delete", 0, 0, 1, 43)],
            manifest.GetProperty("history").EnumerateArray().Select(h => (h.GetProperty("kind").GetString(), h.GetProperty("added").GetInt32(),
                h.GetProperty("replaced").GetInt32(), h.GetProperty("deleted").GetInt32(), h.GetProperty("documentCount").GetInt32())));
        var size = Directory.EnumerateFiles(index).Sum(f => new FileInfo(f).Length);
        Assert.Equal(size, root.GetProperty("size_bytes").GetInt64());
        var text = await CliInvocation.SearchHost("stats", "--index", index);
        Assert.Contains("documents:   43\n", text.Output);
        Assert.Contains("generation:  2 ", text.Output);
    }

    [Fact]
    public async Task Search_Offset_ShowsTheSameHitsAsTheDeeperListAtThoseRanks()
    {
        var index = await IndexSample();
        var full = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--json", "--top", "12", SearchCommandTests.BroadQuery);
        var page = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--json", "--top", "5", "--offset", "5", SearchCommandTests.BroadQuery);
        var beyond = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--json", "--offset", "1000", SearchCommandTests.BroadQuery);
        var negative = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--offset", "-1", "bread");

        Assert.True(page.ExitCode == 0, page.ToString());
        var all = SearchCommandTests.ParseJsonLine(full.OutputLines.Single()).Hits;
        Assert.Equal(12, all.Count);
        Assert.Equal(all.Skip(5).Take(5), SearchCommandTests.ParseJsonLine(page.OutputLines.Single()).Hits);
        Assert.Empty(SearchCommandTests.ParseJsonLine(beyond.OutputLines.Single()).Hits);
        Assert.Equal(2, negative.ExitCode);
        Assert.Equal("error: --offset must be 0 or more (hits to skip), found -1.\n", negative.Error);
    }

    [Fact]
    public async Task Update_BadInput_ExitsTwoWithOneMessageAndLeavesTheIndex()
    {
        var index = await IndexSample();
        var more = WriteMore(_temp.Combine("more.jsonl"));
        var manifestBefore = File.ReadAllText(Path.Combine(index, IndexManifest.FileName));

        var both = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--overwrite");
        var fields = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--fields", "multifield", "--b", "0.75");
        var embedder = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--embedder", "bundled");
        var missing = await CliInvocation.SearchHost("index", "--corpus", more, "--index", _temp.Combine("nope"), "--update");
        var noIds = await CliInvocation.SearchHost("delete", "--index", index);
        var noFile = await CliInvocation.SearchHost("delete", "--index", index, "--ids", _temp.Combine("ids.txt"));

        Assert.Equal("error: --update changes an existing index and --overwrite replaces it with a new build; use one of them.\n", both.Error);
        Assert.Equal($"error: Cannot update index '{index}' with other settings than it was built with: fields multifield vs flat, b 0.75 vs 0.4 (asked for vs recorded). "
            + "An update always uses the recorded settings: drop those options, or rebuild the index with them (`search-host index ... --overwrite`).\n", fields.Error);
        Assert.Equal($"error: Index '{index}' keeps no document vectors (built with --embedder none), so an update embeds nothing; drop the embedder (--embedder none), "
            + "or rebuild the index with one.\n", embedder.Error);
        Assert.StartsWith($"error: '{_temp.Combine("nope")}' is not a SearchRerank index", missing.Error);
        Assert.Equal("error: No ids to delete. Give them as arguments (search-host delete --index DIR ID...) or in a file, one per line (--ids FILE).\n", noIds.Error);
        Assert.Equal($"error: --ids file '{_temp.Combine("ids.txt")}' does not exist. Give a file with one document id per line.\n", noFile.Error);
        foreach (var r in new[] { both, fields, embedder, missing, noIds, noFile })
        {
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.Equal("", r.Output);
        }
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(index, IndexManifest.FileName)));
        Assert.False(Directory.Exists(_temp.Combine("nope")));
    }

    [Fact]
    public async Task Delete_IdsFileAndArguments_UnknownIdsReportedAndCounted()
    {
        var index = await IndexSample();
        var ids = _temp.Combine("ids.txt");
        File.WriteAllText(ids, "sci-01\n\n  sci-02  \nghost-1\n");

        // Arguments first, then the file's ids; sci-01 given twice is deleted (and counted) once.
        var result = await CliInvocation.SearchHost("delete", "--index", index, "--ids", ids, "ghost-2", "sci-01");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"Deleted 2 documents from {index}; 2 ids were not in the index: ghost-2, ghost-1; now 39 documents (generation 1).\n", result.Output);
        var manifest = IndexManifest.Read(index);
        Assert.Equal((2L, 2L), (manifest.History![1].Deleted, manifest.History[1].NotFound));
        using var searcher = Bm25Searcher.Open(index);
        Assert.Null(searcher.GetDocument("sci-02"));
        Assert.NotNull(searcher.GetDocument("sci-03"));
    }

    [Fact]
    public async Task Delete_TheLastDocuments_CommitsAnEmptyIndexThatSearchSaysIsEmpty()
    {
        var index = await IndexSample();
        var ids = _temp.Combine("all.txt");
        File.WriteAllLines(ids, CorpusReader.ReadJsonl(SampleCorpus.Corpus).Select(d => d.Id).Skip(1));
        var first = CorpusReader.ReadJsonl(SampleCorpus.Corpus).First().Id;

        var most = await CliInvocation.SearchHost("delete", "--index", index, "--ids", ids);
        var last = await CliInvocation.SearchHost("delete", "--index", index, first);
        var search = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "why is the sky blue");
        var stats = await CliInvocation.SearchHost("stats", "--index", index);

        Assert.True(most.ExitCode == 0, most.ToString());
        Assert.Equal($"Deleted {SampleCorpus.DocumentCount - 1} documents from {index}; now 1 document (generation 1).\n", most.Output);
        Assert.True(last.ExitCode == 0, last.ToString());
        Assert.Equal($"Deleted 1 document from {index}; now 0 documents (generation 2).\n", last.Output);
        Assert.True(search.ExitCode == 0, search.ToString());
        Assert.Equal($"No documents: index '{index}' is empty (0 documents).\n", search.Output);
        Assert.Contains("documents:   0\n", stats.Output);
    }

    [Fact]
    public async Task Update_KeepFields_DefaultKeepsTheRecordedFields_AnotherOrUnknownRefused()
    {
        var corpus = _temp.Combine("fields.jsonl");
        File.WriteAllText(corpus, """{"_id": "a1", "title": "Solar", "text": "Solar panels.", "lang": "en", "year": 2019}""" + "\n");
        var more = _temp.Combine("more.jsonl");
        File.WriteAllText(more, """{"_id": "a1", "title": "Solar", "text": "Solar power.", "lang": "fr", "year": 2024}""" + "\n");
        var index = _temp.Combine("fidx");

        var built = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--embedder", "none");
        var onlyLang = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--keep-fields", "lang");
        var none = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--keep-fields", "none");
        var typo = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", _temp.Combine("typo"), "--embedder", "none", "--keep-fields", "lang,yaer");
        var update = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update");
        var get = await CliInvocation.SearchHost("get", "--index", index, "a1");

        Assert.True(built.ExitCode == 0, built.ToString());
        Assert.Equal(2, onlyLang.ExitCode);
        Assert.Contains("keep-fields lang vs all (asked for vs recorded)", onlyLang.Error);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("keep-fields none vs all (asked for vs recorded)", none.Error);
        Assert.Equal(2, typo.ExitCode);
        Assert.StartsWith("error: --keep-fields names 'yaer', which no document of ", typo.Error);
        Assert.False(Directory.Exists(_temp.Combine("typo")));
        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal("""{"id":"a1","title":"Solar","text":"Solar power.","fields":{"lang":"fr","year":2024}}""" + "\n", get.Output);
    }

    [Fact]
    public async Task KeywordOrIdOverLucenesTermLimit_ExitsTwoNamingFileLineDocumentAndField_OnBuildAndUpdate()
    {
        // 20,000 x "é" is 40,000 UTF-8 bytes (2 each): over Lucene's 32,766. Exactly 32,766 ASCII bytes is accepted.
        var longValue = new string('é', 20_000);
        var limit = new string('k', 32_766);
        var corpus = _temp.Combine("long.jsonl");
        File.WriteAllText(corpus, string.Join("\n",
            JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = "a1", ["text"] = "solar", ["abstract"] = limit }),
            JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = "a2", ["text"] = "wind", ["abstract"] = longValue })) + "\n");
        var okCorpus = _temp.Combine("ok.jsonl");
        File.WriteAllText(okCorpus, JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = "a1", ["text"] = "solar", ["abstract"] = limit }) + "\n");
        var longId = _temp.Combine("longid.jsonl");
        File.WriteAllText(longId, JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = new string('i', 32_767), ["text"] = "x" }) + "\n");
        var index = _temp.Combine("lidx");

        var build = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", _temp.Combine("never"), "--embedder", "none");
        var ok = await CliInvocation.SearchHost("index", "--corpus", okCorpus, "--index", index, "--embedder", "none");
        var manifestBefore = File.ReadAllText(Path.Combine(index, IndexManifest.FileName));
        var update = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--update");
        var id = await CliInvocation.SearchHost("index", "--corpus", longId, "--index", index, "--update");
        var filter = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--json", "--filter", "abstract=" + limit, "solar");

        var expected = $"error: {corpus} line 2: field 'abstract' of document 'a2' is 40,000 bytes long (UTF-8), but Lucene indexes a keyword field's value "
            + "as one term of at most 32,766 bytes. Shorten the value, or leave the field out with --keep-fields (name the fields to keep).\n";
        Assert.Equal((2, expected), (build.ExitCode, build.Error));
        Assert.False(Directory.Exists(_temp.Combine("never")));
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal((2, expected), (update.ExitCode, update.Error));
        Assert.Equal(2, id.ExitCode);
        Assert.Equal($"error: {longId} line 1: the document id in field '_id' is 32,767 bytes long (UTF-8), but Lucene indexes an id as one term of at most 32,766 bytes. Shorten the id.\n", id.Error);
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(index, IndexManifest.FileName)));
        Assert.True(filter.ExitCode == 0, filter.ToString());
        Assert.Equal(["a1"], SearchCommandTests.ParseJsonLine(filter.OutputLines.Single()).Hits.Select(h => h.Id));
    }

    [Fact]
    public async Task Update_FileWithoutDocuments_AndDeleteOfUnknownIds_CommitNothingAndSaySo()
    {
        var index = await IndexSample();
        var manifestBefore = File.ReadAllText(Path.Combine(index, IndexManifest.FileName));
        var empty = _temp.Combine("empty.jsonl");
        File.WriteAllText(empty, "");
        var blank = _temp.Combine("blank.jsonl");
        File.WriteAllText(blank, "\n  \n\t\n");

        var fromEmpty = await CliInvocation.SearchHost("index", "--corpus", empty, "--index", index, "--update");
        var fromBlank = await CliInvocation.SearchHost("index", "--corpus", blank, "--index", index, "--update");
        var unknown = await CliInvocation.SearchHost("delete", "--index", index, "ghost-1", "ghost-2");

        foreach (var (result, file) in new[] { (fromEmpty, empty), (fromBlank, blank) })
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal($"warning: {file} has no documents (it is empty or has only blank lines).\n", result.Error);
            Assert.Equal($"Nothing to update in {index}; it is unchanged: 41 documents (generation 0).\n", result.Output);
        }
        Assert.True(unknown.ExitCode == 0, unknown.ToString());
        Assert.Equal($"Deleted 0 documents from {index}; 2 ids were not in the index: ghost-1, ghost-2; nothing changed: still 41 documents (generation 0).\n", unknown.Output);
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(index, IndexManifest.FileName)));
    }

    [Fact]
    public async Task Search_EmptyPage_SaysWhy_OffsetPastTheLastHitOrFiltersExcludeEveryMatch()
    {
        var corpus = _temp.Combine("fields.jsonl");
        File.WriteAllText(corpus, string.Join("\n",
            """{"_id": "a1", "title": "Solar panels", "text": "Solar panels turn sunlight into electricity.", "lang": "en", "year": 2019}""",
            """{"_id": "a2", "title": "Solar power", "text": "Solar power plants use mirrors and sunlight.", "lang": "en", "year": 2021}""",
            """{"_id": "a3", "title": "Energía solar", "text": "Solar panels and sunlight, en español.", "lang": "es", "year": 2022}""",
            """{"_id": "a4", "title": "Wind", "text": "Wind turbines make electricity.", "lang": "en", "year": 2023}""") + "\n");
        var index = _temp.Combine("pidx");
        var built = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--embedder", "none");
        Assert.True(built.ExitCode == 0, built.ToString());
        async Task<string> Search(params string[] args)
        {
            var result = await CliInvocation.SearchHost(["search", "--index", index, "--no-rerank", .. args]);
            Assert.True(result.ExitCode == 0, result.ToString());
            return result.Output;
        }

        // Every document has "solar", "sunlight" or "electricity": 4 hits.
        Assert.Equal("No hits on this page: --offset 4 is past the last of 4 hits.\n", await Search("--offset", "4", "solar sunlight electricity"));
        Assert.Equal("No hits on this page: --offset 5 is past the last of 1 hit.\n", await Search("--offset", "5", "turbines"));
        Assert.Equal("No matching document meets the filters (lang=es AND year>=2023).\n",
            await Search("--filter", "lang=es", "--filter", "year>=2023", "solar sunlight electricity"));
        Assert.Equal("No documents match (after analysis the query may contain only stop words).\n", await Search("--filter", "lang=en", "zebra"));
        Assert.Equal("No documents match (after analysis the query may contain only stop words).\n", await Search("the of"));
        var wrongOperator = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--filter", "lang==en", "solar");
        Assert.Equal(2, wrongOperator.ExitCode);
        Assert.StartsWith("error: Filter 'lang==en' uses the operator '==', which filters do not have.", wrongOperator.Error);
    }

    [Fact]
    public async Task GetAndSearchJson_PrintNonAsciiAndPlusAsThemselves_QuotesStillEscaped()
    {
        var corpus = _temp.Combine("intl.jsonl");
        File.WriteAllText(corpus, """{"_id": "é1", "title": "Energía solar", "text": "C++ & <solar> \"panels\" 中文", "lang": "es+"}""" + "\n", new UTF8Encoding(false));
        var index = _temp.Combine("iidx");
        var built = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--embedder", "none");

        var get = await CliInvocation.SearchHost("get", "--index", index, "é1");
        var search = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--json", "solar");

        Assert.True(built.ExitCode == 0, built.ToString());
        Assert.Equal("""{"id":"é1","title":"Energía solar","text":"C++ & <solar> \"panels\" 中文","fields":{"lang":"es+"}}""" + "\n", get.Output);
        Assert.True(search.ExitCode == 0, search.ToString());
        Assert.Contains("\"id\":\"é1\",\"score\":", search.Output);
        Assert.Contains("\"title\":\"Energía solar\",\"snippet\":\"C++ & <solar> \\\"panels\\\" 中文\"}", search.Output);
    }

    [Fact]
    public async Task Stats_OnAFile_SaysItIsAFile_OnAMissingPath_ThatItDoesNotExist()
    {
        var file = _temp.Combine("notes.txt");
        File.WriteAllText(file, "x");
        var missing = _temp.Combine("nowhere");

        var onFile = await CliInvocation.SearchHost("stats", "--index", file);
        var onMissing = await CliInvocation.SearchHost("stats", "--index", missing);

        Assert.Equal(2, onFile.ExitCode);
        Assert.StartsWith($"error: '{file}' is not a SearchRerank index: expected a folder with searchrerank-index.json and a Lucene index, but it is a file, not a folder.", onFile.Error);
        Assert.Equal(2, onMissing.ExitCode);
        Assert.StartsWith($"error: '{missing}' is not a SearchRerank index: expected a folder with searchrerank-index.json and a Lucene index, but the folder does not exist.", onMissing.Error);
    }

    [Fact]
    public async Task Index_ValuesNotKept_AreCountedInTheSummary_AndTheEmptyKeywordIsFilterable()
    {
        var corpus = _temp.Combine("odd.jsonl");
        File.WriteAllText(corpus, string.Join("\n",
            """{"_id": "a1", "text": "solar one", "lang": "en", "tags": ["green"], "meta": {"x": 1}}""",
            """{"_id": "a2", "text": "solar two", "lang": "", "tags": []}""",
            """{"_id": "a3", "text": "solar three", "lang": "de", "tags": [["x"]], "meta": null}""",
            """{"_id": "a4", "text": "solar four", "lang": "", "tags": [{"y": 2}]}""") + "\n");
        var index = _temp.Combine("oidx");

        var built = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--embedder", "none");
        var empty = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--json", "--filter", "lang=\"\"", "solar");

        Assert.True(built.ExitCode == 0, built.ToString());
        // meta: an object in a1 (a3's null is a missing value); tags: empty in a2, nested in a3 and a4.
        Assert.Equal("Not kept (not a string, number, boolean or array of those): meta (an object) in 1 document, "
            + "tags (an array with objects, arrays or nulls in it) in 2 documents, tags (an empty array) in 1 document.", built.OutputLines[^1]);
        Assert.True(empty.ExitCode == 0, empty.ToString());
        Assert.Equal(["a2", "a4"], SearchCommandTests.ParseJsonLine(empty.OutputLines.Single()).Hits.Select(h => h.Id).Order());
    }

    [Fact]
    public async Task Search_Highlight_HitMatchingOnlyInItsTitle_GetsTitleHighlights()
    {
        var corpus = _temp.Combine("titles.jsonl");
        File.WriteAllText(corpus, """{"_id": "n1", "title": "Arctic narwhals", "text": "Whales with a long tusk."}""" + "\n");
        var index = _temp.Combine("tidx");
        var built = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--embedder", "none");

        var search = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--json", "--highlight", "narwhal");

        Assert.True(built.ExitCode == 0 && search.ExitCode == 0, built + "\n" + search);
        var hit = JsonDocument.Parse(search.OutputLines.Single()).RootElement.GetProperty("hits")[0];
        Assert.Equal(0, hit.GetProperty("highlights").GetArrayLength());
        var title = hit.GetProperty("title_highlights").EnumerateArray().Single();
        // Hand-counted: "narwhals" is title[7..15] (the stem narwhal matches it).
        Assert.Equal(("Arctic <b>narwhals</b>", 0, 15), (title.GetProperty("fragment").GetString(), title.GetProperty("start").GetInt32(), title.GetProperty("end").GetInt32()));
        Assert.Equal("[[7,15]]", title.GetProperty("terms").GetRawText());
    }

    [Fact]
    public async Task KeptFields_SearchFilterGetAndStats_ThroughSearchHost()
    {
        var corpus = _temp.Combine("fields.jsonl");
        File.WriteAllText(corpus, string.Join("\n",
            """{"_id": "a1", "title": "Solar panels", "text": "Solar panels turn sunlight into electricity.", "lang": "en", "year": 2019, "meta": {"x": 1}}""",
            """{"_id": "a2", "title": "Solar power", "text": "Solar power plants use mirrors and sunlight.", "lang": "en", "year": 2021}""",
            """{"_id": "a3", "title": "Energía solar", "text": "Solar panels and sunlight, en español.", "lang": "es", "year": 2022}""",
            """{"_id": "a4", "title": "Wind", "text": "Wind turbines make electricity.", "lang": "en", "year": 2023}""") + "\n");
        var index = _temp.Combine("fidx");
        var lonly = _temp.Combine("lidx");

        var built = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--embedder", "none");
        var onlyLang = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", lonly, "--embedder", "none", "--keep-fields", "lang");
        var both = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--json", "--filter", "lang=en", "--filter", "year>=2020", "solar sunlight electricity");
        var all = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--json", "solar sunlight electricity");
        var get = await CliInvocation.SearchHost("get", "--index", index, "a1");
        var stats = await CliInvocation.SearchHost("stats", "--index", index);
        var unknown = await CliInvocation.SearchHost("search", "--index", lonly, "--no-rerank", "--filter", "year>=2020", "solar");

        Assert.True(built.ExitCode == 0 && onlyLang.ExitCode == 0, built + "\n" + onlyLang);
        Assert.True(both.ExitCode == 0, both.ToString());
        var unfiltered = SearchCommandTests.ParseJsonLine(all.OutputLines.Single()).Hits.Select(h => h.Id).ToList();
        Assert.Equal(unfiltered.Where(id => id is "a2" or "a4"), SearchCommandTests.ParseJsonLine(both.OutputLines.Single()).Hits.Select(h => h.Id));
        Assert.Equal("""{"id":"a1","title":"Solar panels","text":"Solar panels turn sunlight into electricity.","fields":{"lang":"en","year":2019}}""" + "\n", get.Output);
        Assert.Contains("kept:        lang (keyword), year (number) (stored, filterable)\n", stats.Output);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal($"error: Filter 'year>=2020' names the field 'year', which index '{lonly}' does not have: its fields are lang (keyword).\n", unknown.Error);
    }
}
