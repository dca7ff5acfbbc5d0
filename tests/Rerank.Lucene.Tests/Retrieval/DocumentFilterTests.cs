using System.Text;
using System.Text.Json;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Retrieval;

/// <summary>A generated corpus with kept fields (lang, year, published, tags), indexed once.</summary>
public sealed class FieldsCorpusFixture : IDisposable
{
    private readonly string _root = TestPaths.NewTempDir("filter");

    /// <summary>Its documents' fields as plain values, for predicates written independently of the index.</summary>
    public sealed record Row(string Id, string Lang, int Year, DateOnly Published, string[] Tags);

    public FieldsCorpusFixture()
    {
        string[] words = ["solar", "wind", "power", "energy", "panel", "turbine", "grid", "battery", "storage", "heat", "pump", "light"];
        string[] langs = ["en", "de", "fr"];
        var random = new Random(11);
        var rows = new List<Row>();
        var lines = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var text = string.Join(' ', Enumerable.Range(0, 6 + random.Next(10)).Select(_ => words[random.Next(words.Length)]));
            var row = new Row($"d{i:00}", langs[i % 3], 2000 + i % 25, new DateOnly(2020, 1, 1).AddDays(7 * i), i % 4 == 0 ? ["green", "x"] : ["x"]);
            rows.Add(row);
            lines.Add(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["_id"] = row.Id, ["title"] = "", ["text"] = text, ["lang"] = row.Lang, ["year"] = row.Year,
                ["published"] = row.Published.ToString("yyyy-MM-dd"), ["tags"] = row.Tags, ["metadata"] = new { source = "generated" },
            }));
        }
        Rows = rows;
        Corpus = Path.Combine(_root, "corpus.jsonl");
        File.WriteAllText(Corpus, string.Join("\n", lines) + "\n", new UTF8Encoding(false));
        Index = Path.Combine(_root, "idx");
        IndexBuilder.Build(CorpusReader.ReadJsonl(Corpus), Index, new IndexOptions());
    }

    public IReadOnlyList<Row> Rows { get; }

    public string Corpus { get; }

    public string Index { get; }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}

public sealed class DocumentFilterTests(FieldsCorpusFixture fixture) : IClassFixture<FieldsCorpusFixture>
{
    private const string Query = "solar panel light";

    /// <summary>The reference: the unfiltered ranking of every matching document, kept where the predicate holds, cut at k.</summary>
    private (string, float)[] Reference(Func<FieldsCorpusFixture.Row, bool> predicate, int k)
    {
        using var searcher = Bm25Searcher.Open(fixture.Index);
        var byId = fixture.Rows.ToDictionary(r => r.Id);
        return searcher.Search(Query, 1000).Where(h => predicate(byId[h.DocId])).Take(k).Select(h => (h.DocId, h.Score)).ToArray();
    }

    private (string, float)[] Filtered(int k, params string[] conditions)
    {
        using var searcher = Bm25Searcher.Open(fixture.Index);
        var hits = searcher.Search(Query, k, filter: DocumentFilter.Parse(conditions));
        Assert.Equal(Enumerable.Range(1, hits.Count), hits.Select(h => h.Rank));
        return hits.Select(h => (h.DocId, h.Score)).ToArray();
    }

    [Fact]
    public void Build_KeepsScalarAndArrayFieldsByDefault_LeavesObjectsOut_RecordsTypes()
    {
        var manifest = IndexManifest.Read(fixture.Index);
        Assert.Equal(
            new Dictionary<string, KeptFieldType> { ["lang"] = KeptFieldType.Keyword, ["published"] = KeptFieldType.Date, ["tags"] = KeptFieldType.Keyword, ["year"] = KeptFieldType.Number },
            manifest.KeptFields);
        using var searcher = Bm25Searcher.Open(fixture.Index);
        var doc = searcher.GetDocument("d04")!;
        Assert.Equal(["lang", "year", "published", "tags"], doc.Fields!.Keys);
        Assert.Equal(("de", 2004, "2020-01-29"), (doc.Fields["lang"].GetString(), doc.Fields["year"].GetInt32(), doc.Fields["published"].GetString()));
        Assert.Equal(["green", "x"], doc.Fields["tags"].EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(15)]
    public void Search_Filters_EqualTheUnfilteredRankingWithThePredicateAppliedBeforeTheCut(int k)
    {
        Assert.Equal(Reference(r => r.Lang == "de", k), Filtered(k, "lang=de"));
        Assert.Equal(Reference(r => r.Year >= 2020, k), Filtered(k, "year>=2020"));
        Assert.Equal(Reference(r => r.Year > 2020 && r.Year < 2023, k), Filtered(k, "year>2020", "year<2023"));
        Assert.Equal(Reference(r => r.Year == 2010, k), Filtered(k, "year=2010"));
        Assert.Equal(Reference(r => r.Published < new DateOnly(2020, 6, 1), k), Filtered(k, "published<2020-06-01"));
        Assert.Equal(Reference(r => r.Published <= new DateOnly(2020, 6, 3), k), Filtered(k, "published<=2020-06-03T00:00:00Z"));
        Assert.Equal(Reference(r => r.Tags.Contains("green") && r.Lang == "en", k), Filtered(k, "tags=green", "lang=en"));
        Assert.Empty(Filtered(k, "lang=EN"));
    }

    [Fact]
    public void Search_NarrowFilter_StillReturnsKHitsWhenKDocumentsMatch()
    {
        // Documents with tag green are 1 in 4: the unfiltered top 10 holds only a few of them.
        using var searcher = Bm25Searcher.Open(fixture.Index);
        var greenIds = fixture.Rows.Where(r => r.Tags.Contains("green")).Select(r => r.Id).ToHashSet();
        var matching = searcher.Search(Query, 1000).Count(h => greenIds.Contains(h.DocId));
        Assert.True(matching >= 10, $"only {matching} green documents match the query");
        Assert.True(searcher.Search(Query, 10).Count(h => greenIds.Contains(h.DocId)) < 10);

        Assert.Equal(10, searcher.Search(Query, 10, filter: DocumentFilter.Parse(["tags=green"])).Count);
        Assert.Equal(10, searcher.Rank(Query, 10, filter: DocumentFilter.Parse(["tags=green"])).Count);
    }

    [Theory]
    [InlineData("langg=en", "Filter 'langg=en' names the field 'langg', which index '{0}' does not have: its fields are lang (keyword), published (date), tags (keyword), year (number).")]
    [InlineData("year=abc", "Filter 'year=abc': 'year' is a number field, and 'abc' is not a number. Write e.g. year=2020 or 9.5.")]
    [InlineData("lang>=de", "Filter 'lang>=de': 'lang' is a keyword field, matched by its whole value; write lang=VALUE.")]
    [InlineData("published>2020-02-30", "Filter 'published>2020-02-30': 'published' is a date field, and '2020-02-30' is not an ISO 8601 date. Write e.g. published>2021-03-04 or 2021-03-04T10:00:00Z.")]
    [InlineData("published<=2020-01-29T10:00:00.1234567Z", "Filter 'published<=2020-01-29T10:00:00.1234567Z': 'published' is a date field, indexed to the millisecond, and '2020-01-29T10:00:00.1234567Z' is more precise than that. Give at most 3 digits after the seconds' decimal point (e.g. published<=2020-01-29T10:00:00.123Z).")]
    [InlineData("published=2020-01-29T00:00:00.0001", "Filter 'published=2020-01-29T00:00:00.0001': 'published' is a date field, indexed to the millisecond, and '2020-01-29T00:00:00.0001' is more precise than that. Give at most 3 digits after the seconds' decimal point (e.g. published=2020-01-29T00:00:00.000Z).")]
    public void Search_BadFilter_NamesTheFieldAndItsType(string condition, string message)
    {
        using var searcher = Bm25Searcher.Open(fixture.Index);
        // Also for a query of stop words only, which matches nothing.
        foreach (var query in new[] { Query, "the of" })
        {
            var e = Assert.Throws<InvalidInputException>(() => searcher.Search(query, 10, filter: DocumentFilter.Parse([condition])));
            Assert.Equal(string.Format(message, fixture.Index), e.Message);
        }
    }

    [Theory]
    [InlineData("lang", "Filter 'lang' has no comparison: write FIELD=VALUE, FIELD>=VALUE, FIELD>VALUE, FIELD<=VALUE or FIELD<VALUE (e.g. lang=en, year>=2020).")]
    [InlineData("=en", "Filter '=en' needs a field name before '=' and a value after it (e.g. lang=en, year>=2020; lang=\"\" for the empty value).")]
    [InlineData("year>=", "Filter 'year>=' needs a field name before '>=' and a value after it (e.g. lang=en, year>=2020; lang=\"\" for the empty value).")]
    public void Parse_Malformed_SaysHowToWriteIt(string condition, string message)
    {
        Assert.Equal(message, Assert.Throws<InvalidInputException>(() => DocumentFilter.ParseCondition(condition)).Message);
    }

    [Fact]
    public void Search_DateFilterToTheMillisecond_TrailingZerosAreNotFinerPrecision()
    {
        // d04 was published 2020-01-29 (2020-01-01 + 7 x 4 days), midnight UTC.
        var hits = Filtered(100, "published=2020-01-29T00:00:00.0000000Z");
        var reference = Reference(r => r.Published == new DateOnly(2020, 1, 29), 100);

        Assert.Equal(reference, hits);
        Assert.Equal(["d04"], hits.Select(h => h.Item1));
    }

    [Theory]
    [InlineData("lang==en", "==")]
    [InlineData("year!=2020", "!=")]
    [InlineData("year => 2020", "=>")]
    [InlineData("year=<2020", "=<")]
    [InlineData("year<>2020", "<>")]
    [InlineData("year>>2020", ">>")]
    [InlineData("lang!en", "!")]
    public void Parse_UnsupportedOperator_RefusedNamingItAndTheSupportedOnes(string condition, string symbol)
    {
        var e = Assert.Throws<InvalidInputException>(() => DocumentFilter.ParseCondition(condition));

        Assert.Equal($"Filter '{condition}' uses the operator '{symbol}', which filters do not have. The supported ones are =, >, >=, <, <= "
            + "(e.g. lang=en, year>=2020; there is no == or !=). A value that itself starts with =, <, > or ! goes in double quotes: lang=\"=en\".", e.Message);
    }

    [Fact]
    public void Parse_QuotedValues_AreJsonStrings()
    {
        Assert.Equal(
            [new("a", FilterOperator.Equal, ""), new("b", FilterOperator.Equal, "=en"), new("c", FilterOperator.Equal, " x \"y\""), new FieldCondition("d", FilterOperator.Less, "2")],
            DocumentFilter.Parse(["a=\"\"", "b=\"=en\"", "c = \" x \\\"y\\\"\"", "d<\"2\""]).Conditions);
        Assert.Equal("a=\"\" AND b=\"=en\" AND d<2", DocumentFilter.Parse(["a=\"\"", "b=\"=en\"", "d<\"2\""]).ToString());
        var e = Assert.Throws<InvalidInputException>(() => DocumentFilter.ParseCondition("a=\"x\" y"));
        Assert.StartsWith("Filter 'a=\"x\" y': the value \"x\" y starts with a double quote but is not one quoted string.", e.Message);
    }

    [Fact]
    public void Parse_Operators()
    {
        Assert.Equal(
            [new("a", FilterOperator.Equal, "x=y"), new("b", FilterOperator.GreaterOrEqual, "1"), new("c", FilterOperator.Less, "2"), new FieldCondition("d", FilterOperator.LessOrEqual, "2021-01-01")],
            DocumentFilter.Parse(["a=x=y", " b >= 1", "c<2", "d<=2021-01-01"]).Conditions);
    }

    [Fact]
    public void Filter_OnIndexWithoutKeptFields_SaysItKeepsNone()
    {
        var root = TestPaths.NewTempDir("filter-none");
        try
        {
            var index = Path.Combine(root, "idx");
            IndexBuilder.Build([new("a", "", "solar power")], index, new IndexOptions());
            using var searcher = Bm25Searcher.Open(index);
            var e = Assert.Throws<InvalidInputException>(() => searcher.Search("solar", 10, filter: DocumentFilter.Parse(["lang=en"])));
            Assert.Equal($"Filter 'lang=en' names the field 'lang', which index '{index}' does not have: it keeps no fields besides id, title and text "
                + "(index a JSONL corpus with extra fields; `search-host stats` lists them).", e.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void KeepFields_NamedOnlyThose_AndNamedObjectRefused()
    {
        var docs = CorpusReader.ReadJsonl(fixture.Corpus, new CorpusReaderOptions(KeepFields: ["year", "absent"])).ToList();
        Assert.All(docs, d => Assert.Equal(["year"], d.Fields!.Keys));
        Assert.All(CorpusReader.ReadJsonl(fixture.Corpus, new CorpusReaderOptions(KeepFields: [])), d => Assert.Null(d.Fields));

        var e = Assert.Throws<InvalidInputException>(() => CorpusReader.ReadJsonl(fixture.Corpus, new CorpusReaderOptions(KeepFields: ["metadata"])).ToList());
        Assert.Equal($"{fixture.Corpus} line 1: field 'metadata' (in --keep-fields) is an object; a kept field must be a string, number, boolean "
            + "or an array of those. Leave it out of --keep-fields, or flatten it in the corpus.", e.Message);
    }

    [Fact]
    public void Build_FieldWithTwoTypes_RefusedNamingBothDocuments()
    {
        var root = TestPaths.NewTempDir("filter-types");
        try
        {
            using var json = JsonDocument.Parse("""{"y1": 2020, "y2": "soon"}""");
            var y1 = json.RootElement.GetProperty("y1").Clone();
            var y2 = json.RootElement.GetProperty("y2").Clone();
            CorpusDocument[] docs =
            [
                new("a", "", "one", new Dictionary<string, JsonElement> { ["year"] = y1 }),
                new("b", "", "two", new Dictionary<string, JsonElement> { ["year"] = y2 }),
            ];
            var e = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(docs, Path.Combine(root, "idx"), new IndexOptions()));
            Assert.Equal("Field 'year' of document 'b' (document 2 of in-memory documents) is a keyword (a string that is not an ISO date, or a boolean) (\"soon\"), "
                + "but document 'a' (document 1 of in-memory documents) made 'year' a number field. Give 'year' values of one type in every document, "
                + "or leave it out with --keep-fields.", e.Message);
            Assert.Empty(Directory.GetFileSystemEntries(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Build_FieldWithTwoTypes_FromAJsonlFile_NamesTheLinesNotTheDocumentNumbers()
    {
        var root = TestPaths.NewTempDir("filter-types-lines");
        try
        {
            var corpus = Path.Combine(root, "corpus.jsonl");
            // Blank lines 1 and 3: the documents are on lines 2 and 4, so a document number would point at the wrong line.
            File.WriteAllText(corpus, "\n{\"_id\": \"a\", \"text\": \"one\", \"year\": 2020}\n\n{\"_id\": \"b\", \"text\": \"two\", \"year\": \"soon\"}\n");
            var e = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(CorpusReader.ReadJsonl(corpus), Path.Combine(root, "idx"), new IndexOptions()));
            Assert.Equal($"Field 'year' of document 'b' ({corpus} line 4) is a keyword (a string that is not an ISO date, or a boolean) (\"soon\"), "
                + $"but document 'a' ({corpus} line 2) made 'year' a number field. Give 'year' values of one type in every document, "
                + "or leave it out with --keep-fields.", e.Message);
            Assert.False(Directory.Exists(Path.Combine(root, "idx")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Update_ReplacedDocumentsFieldsAreWhatFiltersSee()
    {
        var root = TestPaths.NewTempDir("filter-update");
        try
        {
            var index = Path.Combine(root, "idx");
            IndexBuilder.Build(CorpusReader.ReadJsonl(fixture.Corpus), index, new IndexOptions());
            using var json = JsonDocument.Parse("""{"lang": "it", "year": 1999}""");
            var fields = json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());

            IndexUpdater.AddOrReplace(index, [new("d01", "", "solar panel light", fields), new("n1", "", "solar light", fields)], new IndexUpdateOptions());

            using var searcher = Bm25Searcher.Open(index);
            Assert.Equal(["d01", "n1"], searcher.Search(Query, 10, filter: DocumentFilter.Parse(["lang=it"])).Select(h => h.DocId).Order());
            Assert.DoesNotContain(searcher.Search(Query, 100, filter: DocumentFilter.Parse(["lang=de"])), h => h.DocId == "d01");
            Assert.Equal(2, searcher.Search(Query, 100, filter: DocumentFilter.Parse(["year<2000"])).Count);
            Assert.Equal(KeptFieldType.Keyword, IndexManifest.Read(index).KeptFields!["lang"]);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
