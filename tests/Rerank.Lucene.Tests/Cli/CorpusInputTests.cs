using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// Bad corpus files and ids, reported where they enter with file, line and fix (exit 2, no stack trace),
/// leaving any index and run file as they were.
/// </summary>
public sealed class CorpusInputTests : IDisposable
{
    private readonly TempFolder _temp = new("cli-corpus-input");

    public void Dispose() => _temp.Dispose();

    /// <summary>A folder with one good file and three that cannot be indexed.</summary>
    private (string Folder, string Empty, string Latin1, string Spaced) FolderWithBadFiles()
    {
        _temp.WriteFile("docs/tea.txt", "Green tea is steamed soon after picking.");
        var empty = _temp.WriteFile("docs/empty.txt", "   ");
        var latin1 = _temp.Combine("docs", "notes", "cafe.md");
        Directory.CreateDirectory(Path.GetDirectoryName(latin1)!);
        File.WriteAllBytes(latin1, [.. "# Caf"u8, 0xE9, .. "\n\nCoffee.\n"u8]);
        var spaced = _temp.WriteFile("docs/my notes.txt", "Beans turn brown as sugars caramelise.");
        return (_temp.Combine("docs"), empty, latin1, spaced);
    }

    [Fact]
    public async Task Index_FolderWithBadFiles_ExitsTwoListingEveryFileAndKeepsOldIndex()
    {
        var (folder, empty, latin1, spaced) = FolderWithBadFiles();
        var index = _temp.Combine("idx");
        var first = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(first.ExitCode == 0, first.ToString());

        var result = await CliInvocation.SearchHost("index", "--corpus", folder, "--index", index, "--overwrite");

        UnknownOptionTests.AssertBadInput(result,
            $"error: 3 files in '{folder}' cannot be indexed:",
            $"  {empty}: document 'empty' is empty: expected a title or text, found neither. Remove the file or give it some text.",
            $"  {spaced}: the document id \"my notes\" (the path without extension) contains a space at character 3; run files and qrels separate columns by whitespace, " +
                "so `search-host eval` could not write or match it. Rename the file (e.g. replace spaces with '_').",
            $"  Document file '{latin1}', line 1: expected UTF-8 text, found the byte 0xE9 at byte 6 of the line, which is not valid UTF-8. Re-save the file as UTF-8.",
            "Fix or remove them, or pass --skip-invalid to index the other files without them.");
        using var searcher = Bm25Searcher.Open(index);
        Assert.Equal(SampleCorpus.DocumentCount, searcher.DocumentCount);
    }

    [Fact]
    public async Task Index_FolderWithBadFilesAndSkipInvalid_IndexesTheRestListingWhatWasLeftOut()
    {
        var (folder, empty, latin1, spaced) = FolderWithBadFiles();
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", folder, "--index", index, "--skip-invalid");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith($"Indexed 1 document into {index} ", result.Output);
        var skipped = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, skipped.Length);
        Assert.All(skipped, line => Assert.StartsWith("skipped: ", line));
        Assert.Contains(empty, skipped[0]);
        Assert.Contains(spaced, skipped[1]);
        Assert.Contains(latin1, skipped[2]);
        using var searcher = Bm25Searcher.Open(index);
        Assert.Equal(["tea"], searcher.Search("steamed tea coffee caramelise", 10).Select(h => h.DocId));
    }

    [Fact]
    public async Task Index_SkipInvalidWithJsonlCorpus_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", _temp.Combine("idx"), "--skip-invalid");

        UnknownOptionTests.AssertBadInput(result, "error: --skip-invalid applies to a folder of .txt/.md files. A JSONL corpus stops at its first bad line, " +
            "named with its line number: fix that line (--skip-empty leaves out documents with neither title nor text).");
        Assert.False(Directory.Exists(_temp.Combine("idx")));
    }

    [Theory]
    [InlineData("doc 2", "\"doc 2\"", "contains a space at character 4")]
    [InlineData("doc\\t2", "\"doc\\t2\"", "contains a tab at character 4")]
    [InlineData("doc\\u00072", "\"doc\\u00072\"", "contains the control character U+0007 at character 4")]
    public async Task Index_CorpusIdThatRunFilesCannotHold_ExitsTwoNamingFileLineAndFix(string jsonId, string shown, string problem)
    {
        var corpus = _temp.WriteFile("corpus.jsonl",
            """{"_id": "doc1", "title": "Tides", "text": "The moon pulls the oceans."}""",
            "{\"_id\": \"" + jsonId + "\", \"title\": \"Bread\", \"text\": \"Yeast makes dough rise.\"}");
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index);

        UnknownOptionTests.AssertBadInput(result,
            $"error: {corpus} line 2: the document id {shown} in field '_id' {problem}; run files and qrels separate columns by whitespace, " +
            "so `search-host eval` could not write or match it. Change the id on that line (e.g. replace spaces with '_').");
        Assert.False(Directory.Exists(index));
    }

    [Fact]
    public async Task Index_CorpusIdWithLoneSurrogateEscape_ExitsTwoNamingFileLineAndFix()
    {
        var corpus = _temp.WriteFile("corpus.jsonl", """{"_id": "doc\ud8002", "title": "Bread", "text": "Yeast makes dough rise."}""");

        var result = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", _temp.Combine("idx"));

        UnknownOptionTests.AssertBadInput(result,
            $"error: {corpus} line 1: field '_id' holds an escaped half of a UTF-16 surrogate pair (such as \\ud800 without the \\udc00-\\udfff that must follow), " +
            "which is not text. Fix that escape on that line.");
    }

    [Fact]
    public async Task Index_NonAsciiIds_IndexEvaluateAndRoundTrip()
    {
        var corpus = _temp.WriteFile("corpus.jsonl",
            """{"_id": "café-1", "title": "Coffee", "text": "Beans turn brown as sugars caramelise."}""",
            """{"_id": "茶", "title": "Tea", "text": "Green tea is steamed soon after picking."}""");
        var queries = _temp.WriteFile("queries.jsonl", """{"_id": "q-é", "text": "steamed tea"}""");
        var qrels = _temp.WriteFile("qrels.tsv", "q-é\t茶\t1");
        var index = _temp.Combine("idx");
        var run = _temp.Combine("bm25.run");

        var indexed = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--embedder", "none");
        var eval = await CliInvocation.SearchHost("eval", "--index", index, "--queries", queries, "--qrels", qrels, "--run", run, "--json");

        Assert.True(indexed.ExitCode == 0, indexed.ToString());
        Assert.True(eval.ExitCode == 0, eval.ToString());
        Assert.Equal("q-é Q0 茶 1", string.Join(' ', File.ReadAllLines(run)[0].Split(' ')[..4]));
        Assert.Equal(1.0, RunFiles.ParseEvalJson(eval.Output, "bm25").Rankings["bm25"].Ndcg10);
    }

    [Fact]
    public async Task Eval_IndexHoldingSpacedIdFromTheLibrary_ExitsTwoAndLeavesEarlierRunUntouched()
    {
        // The library's IndexBuilder takes any id; only the command's corpus readers refuse such ids.
        var index = _temp.Combine("idx");
        IndexBuilder.Build([new CorpusDocument("doc 1", "Tides", "The moon pulls the oceans."), new CorpusDocument("doc2", "Bread", "Yeast makes dough rise.")],
            index, new IndexOptions());
        var queries = _temp.WriteFile("queries.jsonl", """{"_id": "q1", "text": "moon tides"}""");
        var qrels = _temp.WriteFile("qrels.tsv", "q1\tdoc2\t1");
        var run = _temp.WriteFile("bm25.run", "q0 Q0 earlier 1 1.000000 bm25");

        var result = await CliInvocation.SearchHost("eval", "--index", index, "--queries", queries, "--qrels", qrels, "--run", run, "--overwrite");

        UnknownOptionTests.AssertBadInput(result,
            $"error: The index '{index}' holds the document id \"doc 1\", which contains a space at character 4: a TREC run file separates columns by whitespace " +
            "and cannot hold it, and qrels cannot name it. Fix the ids in the corpus and rebuild the index (`search-host index` reports each such id with its line).");
        Assert.Equal("q0 Q0 earlier 1 1.000000 bm25\n", File.ReadAllText(run));
        Assert.Equal(["bm25.run", "idx", "qrels.tsv", "queries.jsonl"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Eval_MissingModel_ExitsTwoAndWritesNoRunFile()
    {
        var run = _temp.Combine("out", "bm25.run");
        var index = _temp.Combine("idx");
        IndexBuilder.Build(CorpusReader.ReadJsonl(SampleCorpus.Corpus), index, new IndexOptions());
        var missing = _temp.Combine("no-model");

        var result = await CliInvocation.SearchHost("eval", "--index", index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--run", run, "--reranker", missing);

        UnknownOptionTests.AssertBadInput(result, $"error: Model folder '{missing}' does not exist. Pass a Hugging Face cross-encoder folder: config.json, the weights (model.safetensors, sharded safetensors or pytorch_model.bin) and the tokenizer (vocab.txt or tokenizer.json), e.g. one downloaded from the Hub or written by rerank-train.");
        Assert.Empty(Directory.Exists(_temp.Combine("out")) ? Directory.GetFileSystemEntries(_temp.Combine("out")) : []);
    }

    [Fact]
    public async Task Eval_QueryIdWithControlCharacter_ExitsTwoNamingFileAndLine()
    {
        var index = _temp.Combine("idx");
        IndexBuilder.Build(CorpusReader.ReadJsonl(SampleCorpus.Corpus), index, new IndexOptions());
        var queries = _temp.WriteFile("queries.jsonl", """{"_id": "q1", "text": "vaccines"}""", """{"_id": "q\u00072", "text": "tides"}""");
        var run = _temp.Combine("bm25.run");

        var result = await CliInvocation.SearchHost("eval", "--index", index, "--queries", queries, "--qrels", SampleCorpus.Qrels, "--run", run);

        UnknownOptionTests.AssertBadInput(result,
            $"error: Queries file '{queries}', line 2: expected a non-empty \"_id\" without whitespace or control characters, found \"q\\u00072\", " +
            "which contains the control character U+0007 at character 2. Give the query an id such as \"q1\" (run files and qrels separate columns by whitespace).");
        Assert.False(File.Exists(run));
    }

    [Fact]
    public async Task Eval_QrelsIdWithControlCharacter_ExitsTwoNamingFileAndLine()
    {
        var index = _temp.Combine("idx");
        IndexBuilder.Build(CorpusReader.ReadJsonl(SampleCorpus.Corpus), index, new IndexOptions());
        var qrels = _temp.WriteFile("qrels.tsv", "q1\tsci-03\t1", "q2\tsci\u000104\t1");

        var result = await CliInvocation.SearchHost("eval", "--index", index, "--queries", SampleCorpus.Queries, "--qrels", qrels);

        UnknownOptionTests.AssertBadInput(result,
            $"error: Qrels file '{qrels}', line 2: the document id \"sci\\u000104\" contains the control character U+0001 at character 4, " +
            "so it cannot match an id of a run file or an index. Fix the id on that line.");
    }
}
