using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Retrieval;

/// <summary>Builds the sample corpus (corpora/sample) once for the tests of this class.</summary>
public sealed class SampleIndexFixture : IDisposable
{
    public SampleIndexFixture()
    {
        Root = TestPaths.NewTempDir("sample-index");
        IndexDir = Path.Combine(Root, "idx");
        Corpus = CorpusReader.Read(Path.Combine(TestPaths.RepoRoot, "corpora", "sample", "corpus.jsonl")).ToList();
        IndexBuilder.Build(Corpus, IndexDir, new IndexOptions());
        Searcher = Bm25Searcher.Open(IndexDir);
    }

    public string Root { get; }

    public string IndexDir { get; }

    public List<CorpusDocument> Corpus { get; }

    public Bm25Searcher Searcher { get; }

    public void Dispose()
    {
        Searcher.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}

public sealed class Bm25SearcherTests(SampleIndexFixture fixture) : IClassFixture<SampleIndexFixture>
{
    private Bm25Searcher Searcher => fixture.Searcher;

    public static TheoryData<string> SpecialQueries => new()
    {
        "why is the sky blue?", "bread: yeast", "\"unbalanced quote", "(bread", "bread)", "AND", "OR bread", "NOT",
        "bread AND", "-bread", "+", "*", "bre*d", "?", "bread~", "~2", "bread^", "^3", "[bread TO", "{", "}", "]",
        "\\", "/", "/regex", "a:b:c", "&&", "||", "!", "title:", ":", "c++ / c#", "e-mail@host.com", "50% off!!!",
        "? : \" ( ) AND - * ~ ^ [ ] { } \\ / + ! && || OR NOT",
    };

    [Theory]
    [MemberData(nameof(SpecialQueries))]
    public void Search_LuceneSpecialCharactersInBagOfWords_NeverThrows(string query)
    {
        var hits = Searcher.Search(query, 5);

        Assert.True(hits.Count <= 5);
        Assert.Equal(Enumerable.Range(1, hits.Count), hits.Select(h => h.Rank));
    }

    [Fact]
    public void Search_PunctuatedQuery_SameHitsAsPlainWords()
    {
        var plain = Searcher.Search("why sky blue", 5);
        var punctuated = Searcher.Search("(why) -the- \"sky\" is: blue?!", 5);

        Assert.Equal("sci-01", plain[0].DocId);
        Assert.Equal(plain, punctuated);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \t\n")]
    public void Search_EmptyQuery_Throws(string query)
    {
        var e = Assert.Throws<InvalidInputException>(() => Searcher.Search(query, 5));

        Assert.Equal("Expected a query with at least one word, found an empty query. Type some words to search for.", e.Message);
    }

    [Fact]
    public void Search_OnlyStopWords_ReturnsNoHits()
    {
        Assert.Empty(Searcher.Search("the and of? (to) it is", 5));
        Assert.Empty(Searcher.Search("!!! ??? ...", 5));
    }

    [Fact]
    public void Search_Hits_CarryStoredTitleAndTextAndDescendingScores()
    {
        var hits = Searcher.Search("bread dough yeast sugar", 3);

        Assert.Equal(3, hits.Count);
        var top = fixture.Corpus.Single(d => d.Id == hits[0].DocId);
        Assert.Equal((top.Title, top.Text), (hits[0].Title, hits[0].Text));
        Assert.True(hits[0].Score >= hits[1].Score && hits[1].Score >= hits[2].Score);
    }

    [Fact]
    public void Search_RepeatedQueryWord_WeighsItByCount()
    {
        // Bag of words: "fox fox dog" is fox with boost 2 plus dog with boost 1, so fox outweighs dog.
        var root = TestPaths.NewTempDir("bow");
        try
        {
            var dir = Path.Combine(root, "idx");
            IndexBuilder.Build([new("f", "", "fox cat"), new("d", "", "dog cat")], dir, new IndexOptions());
            using var s = Bm25Searcher.Open(dir);

            var once = s.Search("fox dog", 2);
            var twice = s.Search("fox fox dog", 2);

            Assert.Equal(once[0].Score, once[1].Score);
            Assert.Equal(["f", "d"], once.Select(h => h.DocId)); // a tie: larger id first (trec_eval's rule)
            Assert.Equal(["f", "d"], twice.Select(h => h.DocId));
            Assert.True(twice[0].Score > twice[1].Score);
            Assert.Equal(2 * once[0].Score, twice[0].Score, 5);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Search_LuceneSyntax_SupportsFieldsPhrasesAndBooleans()
    {
        var hits = Searcher.Search("contents:\"black hole\" OR (sourdough AND -yeast)", 5, QuerySyntax.Lucene);

        Assert.Equal(["sci-05"], hits.Select(h => h.DocId));
    }

    [Fact]
    public void Search_LuceneSyntaxError_ThrowsWithPositionAndHint()
    {
        var e = Assert.Throws<InvalidInputException>(() => Searcher.Search("bread AND (yeast", 5, QuerySyntax.Lucene));

        Assert.Equal("Cannot parse 'bread AND (yeast' as Lucene query syntax: unexpected end of query at column 17. "
            + "Fix the syntax, or drop --lucene-syntax to search the text as plain words.", e.Message);
    }

    [Fact]
    public void Search_LuceneSyntaxErrorMidQuery_NamesTokenAndColumn()
    {
        var e = Assert.Throws<InvalidInputException>(() => Searcher.Search("bread AND OR yeast", 5, QuerySyntax.Lucene));

        Assert.Equal("Cannot parse 'bread AND OR yeast' as Lucene query syntax: unexpected 'OR' at column 11. "
            + "Fix the syntax, or drop --lucene-syntax to search the text as plain words.", e.Message);
    }

    [Fact]
    public void Search_LuceneSyntaxUnclosedQuote_ThrowsWithLexerPosition()
    {
        var e = Assert.Throws<InvalidInputException>(() => Searcher.Search("bread \"yeast", 5, QuerySyntax.Lucene));

        Assert.Equal("Cannot parse 'bread \"yeast' as Lucene query syntax: Lexical error at line 1, column 13.  Encountered: <EOF> after : \"\\\"yeast\". "
            + "Fix the syntax, or drop --lucene-syntax to search the text as plain words.", e.Message);
    }

    [Fact]
    public void Search_ConcurrentCallers_SameResultsAsSequential()
    {
        string[] queries = ["why does my dough get bigger before baking?", "jet lag flights", "who made books cheap?",
            "keys: public vs private", "ice lake", "wind electricity", "teeth sugar", "cycling air"];
        var expected = queries.Select(q => Searcher.Search(q, 10)).ToList();

        var results = new IReadOnlyList<SearchHit>[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            results[t] = new IReadOnlyList<SearchHit>[queries.Length * 5];
            for (var i = 0; i < queries.Length * 5; i++) results[t][i] = Searcher.Search(queries[(i + t) % queries.Length], 10);
        });

        for (var t = 0; t < 8; t++)
        {
            for (var i = 0; i < queries.Length * 5; i++) Assert.Equal(expected[(i + t) % queries.Length], results[t][i]);
        }
    }

    [Fact]
    public void Search_TiesAcrossCutoff_OrderedByDocIdDescendingAsTrecEval()
    {
        // 30 identical documents inserted with ascending ids: Lucene alone breaks ties by insertion
        // order and would return z00, z01, ...; we must return the largest ids, descending (trec_eval's rule).
        var root = TestPaths.NewTempDir("ties");
        try
        {
            var dir = Path.Combine(root, "idx");
            var docs = Enumerable.Range(0, 30).Select(i => new CorpusDocument($"z{i:D2}", "", "same words here"))
                .Append(new CorpusDocument("best", "", "words words words here"));
            IndexBuilder.Build(docs, dir, new IndexOptions());
            using var s = Bm25Searcher.Open(dir);

            var hits = s.Search("words", 5);

            Assert.Equal(["best", "z29", "z28", "z27", "z26"], hits.Select(h => h.DocId));
            Assert.Equal([1, 2, 3, 4, 5], hits.Select(h => h.Rank));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void GetDocument_KnownAndUnknownIds_ReturnsStoredTextOrNull()
    {
        Assert.Equal(fixture.Corpus.Single(d => d.Id == "hist-03"), Searcher.GetDocument("hist-03"));
        Assert.Null(Searcher.GetDocument("nope"));
        var many = Searcher.GetDocuments(["comp-01", "nope", "comp-01", "env-02"]);
        Assert.Equal(["comp-01", "env-02"], many.Keys.Order());
        Assert.Equal(fixture.Corpus.Single(d => d.Id == "env-02"), many["env-02"]);
    }

    [Fact]
    public void EnumerateDocumentsAndGetDocumentAt_ReturnCorpusInOrder()
    {
        Assert.Equal(fixture.Corpus, Searcher.EnumerateDocuments());
        Assert.Equal(fixture.Corpus.Count, Searcher.DocumentCount);
        Assert.Equal(fixture.Corpus[17], Searcher.GetDocumentAt(17));
        Assert.Throws<ArgumentOutOfRangeException>(() => Searcher.GetDocumentAt(fixture.Corpus.Count));
    }

    [Fact]
    public void Open_MissingFolder_ThrowsNotAnIndex()
    {
        var dir = Path.Combine(fixture.Root, "missing");

        var e = Assert.Throws<InvalidInputException>(() => Bm25Searcher.Open(dir));

        Assert.Equal($"'{dir}' is not a SearchRerank index: expected a folder with searchrerank-index.json and a Lucene index, but the folder does not exist. "
            + $"Build one with `search-host index --corpus ... --index {dir}`.", e.Message);
    }

    [Fact]
    public void Open_FolderWithoutManifest_ThrowsNotAnIndex()
    {
        var dir = Path.Combine(fixture.Root, "plain");
        Directory.CreateDirectory(dir);

        var e = Assert.Throws<InvalidInputException>(() => Bm25Searcher.Open(dir));

        Assert.Equal($"'{dir}' is not a SearchRerank index: expected a folder with searchrerank-index.json and a Lucene index, but it has no searchrerank-index.json. "
            + $"Build one with `search-host index --corpus ... --index {dir}`.", e.Message);
    }

    [Fact]
    public void Open_ManifestWithoutLuceneIndex_ThrowsNotAnIndex()
    {
        var dir = Path.Combine(fixture.Root, "manifest-only");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(fixture.IndexDir, IndexManifest.FileName), Path.Combine(dir, IndexManifest.FileName));

        var e = Assert.Throws<InvalidInputException>(() => Bm25Searcher.Open(dir));

        Assert.Equal($"'{dir}' is not a SearchRerank index: expected a folder with searchrerank-index.json and a Lucene index, but it has searchrerank-index.json and no Lucene index files. "
            + $"Build one with `search-host index --corpus ... --index {dir}`.", e.Message);
    }
}
