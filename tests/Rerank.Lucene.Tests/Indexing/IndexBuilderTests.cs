using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.Core;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.TokenAttributes;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Indexing;

public sealed class IndexBuilderTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDir("builder");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    internal static readonly CorpusDocument[] Small =
    [
        new("a", "Bread", "Yeast makes bread dough rise."),
        new("b", "Tea", "Green tea is steamed and dried."),
        new("c", "", "Bread and tea for breakfast."),
    ];

    private static IEnumerable<CorpusDocument> ThrowAfter(IEnumerable<CorpusDocument> docs, int n)
    {
        var i = 0;
        foreach (var d in docs)
        {
            if (i++ == n) throw new IOException("disk read failed");
            yield return d;
        }
    }

    private static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    private static string[] SearchIds(string dir, string query)
    {
        using var s = Bm25Searcher.Open(dir);
        return s.Search(query, 10).Select(h => $"{h.DocId}:{h.Score:F4}").ToArray();
    }

    [Fact]
    public void Build_NewFolder_WritesManifestWithSettingsCountsAndFingerprint()
    {
        var dir = Path.Combine(_root, "idx");

        var manifest = IndexBuilder.Build(Small, dir, new IndexOptions(Source: "unit test"));

        var read = IndexManifest.Read(dir);
        Assert.Equal(manifest, read with { FieldStatistics = manifest.FieldStatistics, History = manifest.History });
        Assert.Equal(manifest.History, read.History);
        Assert.Equal([new IndexChange(0, "build", "unit test", 3, 0, 0, 0, 3, manifest.CreatedUtc)], read.History!);
        Assert.Equal(manifest.FieldStatistics, read.FieldStatistics);
        Assert.Equal((1, "lucene-english-porter-48", 0.9f, 0.4f, FieldsMode.Flat, 3L, "unit test"),
            (manifest.FormatVersion, manifest.Analyzer, manifest.K1, manifest.B, manifest.FieldsMode, manifest.DocumentCount, manifest.Source));
        Assert.Equal(["contents"], manifest.FieldStatistics.Keys);
        // Independent fingerprint: SHA-256 over (8-byte LE length, UTF-8 bytes) of id, title, text per document.
        var bytes = new List<byte>();
        foreach (var d in Small)
        {
            foreach (var s in new[] { d.Id, d.Title, d.Text })
            {
                var b = System.Text.Encoding.UTF8.GetBytes(s);
                bytes.AddRange(BitConverter.GetBytes((long)b.Length));
                bytes.AddRange(b);
            }
        }
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.ToArray())), manifest.CorpusFingerprint);
        Assert.Single(Directory.GetDirectories(_root));
    }

    [Fact]
    public void Build_Multifield_IndexesTitleAndContentsSeparately()
    {
        var dir = Path.Combine(_root, "idx");

        var manifest = IndexBuilder.Build(Small, dir, new IndexOptions(FieldsMode: FieldsMode.Multifield));

        // title: bread, tea (2 docs); contents (text only): yeast make bread dough rise | green tea steam dri | bread tea breakfast.
        Assert.Equal(new IndexFieldStatistics(2, 2, 2), manifest.FieldStatistics["title"]);
        Assert.Equal(new IndexFieldStatistics(10, 12, 3), manifest.FieldStatistics["contents"]);
        using var s = Bm25Searcher.Open(dir);
        Assert.Equal(["a", "c", "b"], s.Search("bread", 10).Select(h => h.DocId).Concat(s.Search("green", 10).Select(h => h.DocId)));
    }

    [Fact]
    public void Build_ExistingIndexWithoutOverwrite_ThrowsAndKeepsIndex()
    {
        var dir = Path.Combine(_root, "idx");
        IndexBuilder.Build(Small, dir, new IndexOptions());
        var before = Snapshot(dir);

        var e = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(Small.Take(1), dir, new IndexOptions()));

        Assert.Equal($"'{dir}' already holds a SearchRerank index. Pass --overwrite to replace it, or choose another --index folder.", e.Message);
        Assert.Equal(before, Snapshot(dir));
    }

    [Fact]
    public void Build_NonIndexFolderWithOverwrite_RefusesToReplaceIt()
    {
        var dir = Path.Combine(_root, "home");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "thesis.txt"), "precious");

        var e = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(Small, dir, new IndexOptions(Overwrite: true)));

        Assert.Equal($"'{dir}' already exists and it holds 'thesis.txt', which is not part of a SearchRerank index; refusing to replace it, "
            + "even with --overwrite, so that nothing of yours is deleted. Choose a new or empty --index folder.", e.Message);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(dir, "thesis.txt")));
    }

    [Fact]
    public void Build_IndexFolderHoldingAUserFileWithOverwrite_RefusesAndKeepsBoth()
    {
        var dir = Path.Combine(_root, "idx");
        IndexBuilder.Build(Small, dir, new IndexOptions());
        Directory.CreateDirectory(Path.Combine(dir, "notes"));
        File.WriteAllText(Path.Combine(dir, "notes", "todo.md"), "mine");
        var before = Snapshot(dir);

        var e = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(Small.Take(1), dir, new IndexOptions(Overwrite: true)));

        Assert.Contains("it holds 'notes' (a folder), which is not part of a SearchRerank index", e.Message);
        Assert.Equal(before, Snapshot(dir));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "notes", "todo.md")));
    }

    [Fact]
    public void Build_OverwriteWithDocumentsThatThrowPartWay_KeepsOldIndexAndLeavesNoTempFolders()
    {
        var dir = Path.Combine(_root, "idx");
        IndexBuilder.Build(Small, dir, new IndexOptions());
        var before = Snapshot(dir);
        var searchBefore = SearchIds(dir, "bread tea");
        var many = Enumerable.Range(0, 50).Select(i => new CorpusDocument($"n{i}", "", $"bread number {i}"));

        var e = Assert.Throws<IOException>(() => IndexBuilder.Build(ThrowAfter(many, 20), dir, new IndexOptions(Overwrite: true)));

        Assert.Equal("disk read failed", e.Message);
        Assert.Equal(before, Snapshot(dir));
        Assert.Equal(searchBefore, SearchIds(dir, "bread tea"));
        Assert.Equal([dir], Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void Build_Cancelled_KeepsOldIndexAndLeavesNoTempFolders()
    {
        var dir = Path.Combine(_root, "idx");
        IndexBuilder.Build(Small, dir, new IndexOptions());
        var before = Snapshot(dir);
        using var cts = new CancellationTokenSource();
        IEnumerable<CorpusDocument> CancelAfterTwo()
        {
            yield return new("x", "", "one");
            yield return new("y", "", "two");
            cts.Cancel();
            yield return new("z", "", "three");
        }

        Assert.Throws<OperationCanceledException>(() => IndexBuilder.Build(CancelAfterTwo(), dir, new IndexOptions(Overwrite: true), ct: cts.Token));

        Assert.Equal(before, Snapshot(dir));
        Assert.Equal([dir], Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void Build_OverwriteSucceeds_ReplacesIndexAndLeavesNoTempFolders()
    {
        var dir = Path.Combine(_root, "idx");
        IndexBuilder.Build(Small, dir, new IndexOptions());

        var manifest = IndexBuilder.Build(Small.Take(2), dir, new IndexOptions(K1: 1.2f, B: 0.75f, Overwrite: true));

        Assert.Equal(2, manifest.DocumentCount);
        using (var s = Bm25Searcher.Open(dir))
        {
            Assert.Equal((2, 1.2f, 0.75f), (s.DocumentCount, s.Manifest.K1, s.Manifest.B));
        }
        Assert.Equal([dir], Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void Build_InvalidCorpusFromReader_SurfacesReaderErrorAndCreatesNothing()
    {
        var corpus = Path.Combine(_root, "c.jsonl");
        File.WriteAllText(corpus, "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"a\", \"text\": \"y\"}\n");
        var dir = Path.Combine(_root, "idx");

        var e = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(CorpusReader.Read(corpus), dir, new IndexOptions()));

        Assert.Equal($"{corpus} line 2: duplicate document id 'a', first seen on line 1. Document ids must be unique: remove or rename one of them.", e.Message);
        Assert.Equal([corpus], Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void Build_DuplicateIdsInMemory_Throws()
    {
        var e = Assert.Throws<InvalidInputException>(() =>
            IndexBuilder.Build([new("a", "", "x"), new("b", "", "y"), new("a", "", "z")], Path.Combine(_root, "idx"), new IndexOptions()));

        Assert.Equal("Expected unique document ids, found 'a' as document 1 and document 3. Remove or rename one of them.", e.Message);
    }

    [Fact]
    public void Build_BOutOfRange_Throws()
    {
        var e = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(Small, Path.Combine(_root, "idx"), new IndexOptions(B: 1.5f)));

        Assert.Equal("Expected BM25 b between 0 and 1, found 1.5. Use e.g. 0.4 (the default).", e.Message);
    }

    [Fact]
    public void Build_ReaderSource_ReportsTotalFromLineCountAndSourceDescription()
    {
        var corpus = Path.Combine(_root, "c.jsonl");
        File.WriteAllLines(corpus, Enumerable.Range(0, 12).Select(i => $"{{\"_id\": \"d{i}\", \"text\": \"doc {i}\"}}"));
        var reports = new List<IndexingProgress>();

        var manifest = IndexBuilder.Build(CorpusReader.Read(corpus), Path.Combine(_root, "idx"), new IndexOptions(), new SyncProgress(reports.Add));

        Assert.Equal([("merging", 12L, 12L), ("done", 12L, 12L)], reports.Select(r => (r.Stage, r.DocumentsDone, r.TotalDocuments ?? -1)));
        Assert.Equal($"JSONL corpus {corpus} (id '_id', title 'title', text 'text')", manifest.Source);
    }

    [Fact]
    public void IndexAnalyzer_EnglishAnalyzer_MatchesAnseriniChainAssembledByHand()
    {
        const string text = "The Runner's 3 QUICK foxes weren't running to Zürich-based e-mail@host.com caches: it's 2.5x faster!";
        using var english = IndexAnalyzer.Create(IndexAnalyzer.Name, "x");
        using var anserini = Analyzer.NewAnonymous((field, reader) =>
        {
            var source = new StandardTokenizer(IndexAnalyzer.Version, reader);
            TokenStream result = new EnglishPossessiveFilter(IndexAnalyzer.Version, source);
            result = new LowerCaseFilter(IndexAnalyzer.Version, result);
            result = new StopFilter(IndexAnalyzer.Version, result, StopAnalyzer.ENGLISH_STOP_WORDS_SET);
            result = new PorterStemFilter(result);
            return new TokenStreamComponents(source, result);
        });

        var tokens = Tokens(english, text);

        Assert.Equal(Tokens(anserini, text), tokens);
        Assert.Equal(["runner", "3", "quick", "fox", "weren't", "run", "zürich", "base", "e", "mail", "host.com", "cach", "2.5x", "faster"], tokens);
    }

    private static List<string> Tokens(Analyzer analyzer, string text)
    {
        var result = new List<string>();
        using var stream = analyzer.GetTokenStream("contents", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken()) result.Add(term.ToString());
        stream.End();
        return result;
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<IndexingProgress> report) : IProgress<IndexingProgress>
    {
        public void Report(IndexingProgress value) => report(value);
    }
}
