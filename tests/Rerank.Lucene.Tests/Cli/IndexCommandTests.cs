using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Cli;

/// <summary><c>search-host index</c>: corpus formats, overwrite rules and bad input, run in-process.</summary>
public sealed class IndexCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("cli-index");

    public void Dispose() => _temp.Dispose();

    private static string[] TopIds(string index, string query, int k = 10)
    {
        using var searcher = Bm25Searcher.Open(index);
        return searcher.Search(query, k).Select(h => h.DocId).ToArray();
    }

    [Fact]
    public async Task Index_SampleCorpus_IndexesAll41Documents()
    {
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, result.OutputLines.Length);
        // "fingerprint" shows the first 12 characters of "sha256:<hex>": the prefix and 5 hex digits.
        Assert.Matches($"^Indexed 41 documents into {System.Text.RegularExpressions.Regex.Escape(index)} \\(fields flat, k1 0\\.9, b 0\\.4, fingerprint sha256:[0-9a-f]{{5}}\\)\\.$", result.OutputLines[0]);
        // By default every document is embedded with the bundled MiniLM, and the rate is reported.
        Assert.Matches(@"^Embedded 41 documents with all-MiniLM-L6-v2 \(bundled, SentenceTransformers\.MiniLM 24\.9\.52193\) \(384 dims, mean pooling, max 256 tokens\) in \d+\.\d s \(\d+\.\d docs/s\)\.$", result.OutputLines[1]);
        // Standard error holds at most progress lines (one every 5 s when redirected; embedding may take that long).
        Assert.All(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith("Indexing (", l));
        using var searcher = Bm25Searcher.Open(index);
        Assert.Equal(SampleCorpus.DocumentCount, searcher.DocumentCount);
        Assert.Equal(41, searcher.Manifest.Embeddings!.Count);
        Assert.Equal(41L * 384 * 4, new FileInfo(Path.Combine(index, "embeddings.f32")).Length);
    }

    [Fact]
    public async Task Index_EmbedderNone_WritesNoVectorsAndSearchDefaultsToBm25()
    {
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--embedder", "none");
        var dense = await CliInvocation.SearchHost("search", "--index", index, "--retrieval", "dense", "vaccines");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Single(result.OutputLines);
        Assert.False(File.Exists(Path.Combine(index, "embeddings.f32")));
        using (var searcher = Bm25Searcher.Open(index)) Assert.Null(searcher.Manifest.Embeddings);
        Assert.Equal(2, dense.ExitCode);
        Assert.StartsWith($"error: --retrieval dense needs document vectors, and index '{index}' has none", dense.Error);
    }

    [Fact]
    public async Task Index_EmbedderFolderMissing_ExitsTwoAndLeavesNoIndex()
    {
        var index = _temp.Combine("idx");
        var missing = _temp.Combine("no-such-model");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--embedder", missing);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: Embedder folder '{missing}' does not exist.", result.Error);
        Assert.False(Directory.Exists(index));
    }

    [Fact]
    public async Task Index_ExistingIndexWithoutOverwrite_ExitsTwoWithMessage()
    {
        var index = _temp.Combine("idx");
        var first = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(first.ExitCode == 0, first.ToString());

        var second = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);

        Assert.Equal(2, second.ExitCode);
        Assert.Equal($"error: '{index}' already holds a SearchRerank index. Pass --overwrite to replace it, or choose another --index folder.\n", second.Error);
        Assert.Equal("", second.Output);
    }

    [Fact]
    public async Task Index_ExistingIndexWithOverwrite_ReplacesIt()
    {
        var index = _temp.Combine("idx");
        var first = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(first.ExitCode == 0, first.ToString());
        var small = _temp.WriteFile("small.jsonl",
            """{"_id": "n1", "title": "Narwhals", "text": "Narwhals are whales with a long tusk."}""",
            """{"_id": "n2", "title": "Walruses", "text": "Walruses haul out on sea ice."}""");

        var second = await CliInvocation.SearchHost("index", "--corpus", small, "--index", index, "--overwrite");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.StartsWith($"Indexed 2 documents into {index} ", second.Output);
        using var searcher = Bm25Searcher.Open(index);
        Assert.Equal(2, searcher.DocumentCount);
        Assert.Equal(["n1"], searcher.Search("narwhal tusk", 10).Select(h => h.DocId));
        Assert.Equal(["idx"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName).Where(n => n != "small.jsonl"));
    }

    [Fact]
    public async Task Index_JsonlFormatWithFieldNames_ReadsThoseFields()
    {
        var corpus = _temp.WriteFile("custom.jsonl",
            """{"doc_no": "a-1", "heading": "Tea", "body": "Green tea is steamed; black tea is oxidised."}""",
            """{"doc_no": 2, "heading": "Coffee", "body": "Coffee beans are roasted seeds."}""");
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index,
            "--format", "jsonl", "--id-field", "doc_no", "--title-field", "heading", "--text-field", "body");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith($"Indexed 2 documents into {index} ", result.Output);
        using var searcher = Bm25Searcher.Open(index);
        var hit = Assert.Single(searcher.Search("roasted beans", 10));
        Assert.Equal(("2", "Coffee", "Coffee beans are roasted seeds."), (hit.DocId, hit.Title, hit.Text));
        Assert.Equal(["a-1"], searcher.Search("oxidised", 10).Select(h => h.DocId));
    }

    [Fact]
    public async Task Index_FieldNamesWithBeirFormat_ExitsTwoWithMessage()
    {
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--id-field", "doc_no");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --id-field/--title-field/--text-field apply to --format jsonl; BEIR corpora always use _id, title and text. Add --format jsonl.\n", result.Error);
        Assert.False(Directory.Exists(index));
    }

    [Fact]
    public async Task Index_FolderOfTextFiles_IndexesTxtAndMdWithPathIds()
    {
        _temp.WriteFile("docs/tea.txt", "Green tea is steamed soon after picking.");
        _temp.WriteFile("docs/notes/coffee.md", "# Coffee roasting", "", "Beans turn brown as sugars caramelise.");
        _temp.WriteFile("docs/data.csv", "caramelise,steamed");
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", _temp.Combine("docs"), "--index", index);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith($"Indexed 2 documents into {index} ", result.Output);
        using var searcher = Bm25Searcher.Open(index);
        var coffee = Assert.Single(searcher.Search("caramelise", 10));
        Assert.Equal(("notes/coffee", "Coffee roasting", "Beans turn brown as sugars caramelise."), (coffee.DocId, coffee.Title, coffee.Text));
        var tea = Assert.Single(searcher.Search("steamed", 10));
        Assert.Equal(("tea", ""), (tea.DocId, tea.Title));
    }

    [Fact]
    public async Task Index_TextFormatOnAFile_ExitsTwoWithMessage()
    {
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--format", "text");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: --format text expects a folder of .txt/.md files, but '{SampleCorpus.Corpus}' is not a folder. Pass the folder, or use --format beir|jsonl for a file.\n", result.Error);
    }

    [Fact]
    public async Task Index_MalformedJsonLine_ExitsTwoNamingFileAndLineAndKeepsOldIndex()
    {
        var index = _temp.Combine("idx");
        var first = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(first.ExitCode == 0, first.ToString());
        var before = TopIds(index, "how do vaccines train the immune system?");
        // Line 2 misses the comma after "d2": the reader fails at the '"' that opens "text", byte 14 (1-based).
        var bad = _temp.WriteFile("bad.jsonl",
            """{"_id": "d1", "text": "fine"}""",
            """{"_id": "d2" "text": "no comma"}""",
            """{"_id": "d3", "text": "never read"}""");

        var result = await CliInvocation.SearchHost("index", "--corpus", bad, "--index", index, "--overwrite");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {bad} line 2: expected one JSON object per line, found malformed JSON (error at byte 14). Fix or remove that line.\n", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Equal("", result.Output);
        Assert.Equal(before, TopIds(index, "how do vaccines train the immune system?"));
        using (var searcher = Bm25Searcher.Open(index)) Assert.Equal(SampleCorpus.DocumentCount, searcher.DocumentCount);
        // No half-built index or staging folder is left beside the old one.
        Assert.Equal(["bad.jsonl", "idx"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Index_MalformedJsonLineIntoNewFolder_LeavesNoFolder()
    {
        // '#' cannot start a JSON value: the error is at the first byte.
        var bad = _temp.WriteFile("bad.jsonl", """{"_id": "d1", "text": "fine"}""", "# a comment line");
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", bad, "--index", index);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {bad} line 2: expected one JSON object per line, found malformed JSON (error at byte 1). Fix or remove that line.\n", result.Error);
        Assert.Equal(["bad.jsonl"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Index_EmptyDocumentWithoutSkipEmpty_ExitsTwoWithMessage()
    {
        var corpus = _temp.WriteFile("corpus.jsonl",
            """{"_id": "a", "title": "Tides", "text": "The moon pulls the oceans."}""",
            """{"_id": "e", "title": "", "text": "  "}""",
            """{"_id": "b", "title": "Bread", "text": "Yeast makes dough rise."}""");

        var result = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", _temp.Combine("idx"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {corpus} line 2: document 'e' is empty: expected a title or text, found neither. Remove the line, give the document some text, or pass --skip-empty to leave empty documents out.\n", result.Error);
    }

    [Fact]
    public async Task Index_EmptyDocumentWithSkipEmpty_LeavesItOut()
    {
        var corpus = _temp.WriteFile("corpus.jsonl",
            """{"_id": "a", "title": "Tides", "text": "The moon pulls the oceans."}""",
            """{"_id": "e", "title": "", "text": "  "}""",
            """{"_id": "b", "title": "Bread", "text": "Yeast makes dough rise."}""");
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--skip-empty");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith($"Indexed 2 documents into {index} ", result.Output);
        using var searcher = Bm25Searcher.Open(index);
        Assert.Equal(2, searcher.DocumentCount);
        Assert.Null(searcher.GetDocument("e"));
    }

    [Fact]
    public async Task Index_MissingCorpusFile_ExitsTwoWithMessage()
    {
        var missing = _temp.Combine("nope.jsonl");
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", missing, "--index", index);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: Corpus file '{missing}' does not exist: expected a BEIR corpus.jsonl, a JSONL file or a folder of .txt/.md files. Check the --corpus path.\n", result.Error);
        Assert.False(Directory.Exists(index));
    }

    [Fact]
    public async Task Index_UnknownFormat_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", _temp.Combine("idx"), "--format", "XML");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: Unknown --format 'xml'. Use beir, jsonl or text.\n", result.Error);
    }

    [Fact]
    public async Task Index_UnknownFieldsMode_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", _temp.Combine("idx"), "--fields", "both");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: Unknown --fields 'both'. Use flat or multifield.\n", result.Error);
    }

    [Fact]
    public async Task Index_MissingRequiredOption_FailsNamingTheOption()
    {
        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("'--index'", result.Error);
    }

    [Fact]
    public async Task Index_MissingRequiredOption_ExitsTwoWithMessageOnly()
    {
        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: Option '--index' is required. (see --help)\n", result.Error);
        Assert.Equal("", result.Output);
    }
}
