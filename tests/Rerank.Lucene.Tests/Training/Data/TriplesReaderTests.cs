using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

public sealed class TriplesReaderTests
{
    [Fact]
    public void Read_TextAndIds_OneGroupPerLineWithSharedQueryIds()
    {
        var path = TrainingFiles.Write("triples.jsonl",
            """{"query":"blood thinner","positive":"Aspirin thins blood.","negative":"Coffee is a drink."}""",
            "",
            """{"query":"stay awake","positive_id":"d2","negative_id":"d3"}""",
            """{"query":"blood thinner","positive_id":"d1","negative":"Tea."}""",
            """{"query_id":"Q9","query":"sleep","positive_id":"d3","negative_id":4}""");
        var store = new InMemoryDocumentStore([.. TrainingFiles.Store().Documents(), new Rerank.Lucene.Indexing.CorpusDocument("4", "", "Four.")]);

        var groups = TriplesReader.Read(path, store);

        Assert.Equal(4, groups.Count);
        Assert.Equal(("L1", "blood thinner"), (groups[0].QueryId, groups[0].Query));
        Assert.Equal([new TrainingDocument(null, "Aspirin thins blood.")], groups[0].Positives);
        Assert.Equal([new TrainingDocument(null, "Coffee is a drink.")], groups[0].Negatives);
        Assert.Equal("L3", groups[1].QueryId);
        Assert.Equal([new TrainingDocument("d2", "Coffee Caffeine keeps you awake.")], groups[1].Positives);
        Assert.Equal([new TrainingDocument("d3", "Sleep restores the brain.")], groups[1].Negatives);
        Assert.Equal("L1", groups[2].QueryId);
        Assert.Equal([new TrainingDocument("d1", "Aspirin. It thins blood.")], groups[2].Positives);
        Assert.Equal("Q9", groups[3].QueryId);
        Assert.Equal([new TrainingDocument("4", "Four.")], groups[3].Negatives);
    }

    [Theory]
    [InlineData("""{"query":"q","positive":"p",""", "line 2: expected one JSON object, found malformed JSON (")]
    [InlineData("""["q","p","n"]""", "line 2: expected one JSON object, found an array. Write one object per line.")]
    [InlineData("""{"positive":"p","negative":"n"}""", "line 2: missing field \"query\"; expected the query text.")]
    [InlineData("""{"query":"  ","positive":"p","negative":"n"}""", "line 2: field \"query\" is empty; expected the query text.")]
    [InlineData("""{"query":3,"positive":"p","negative":"n"}""", "line 2: field \"query\" must be a string, found a number; expected the query text.")]
    [InlineData("""{"query":"q","negative":"n"}""", "line 2: missing field \"positive\"; expected the document text in \"positive\" or its index id in \"positive_id\".")]
    [InlineData("""{"query":"q","positive":"p"}""", "line 2: missing field \"negative\"; expected the document text in \"negative\" or its index id in \"negative_id\".")]
    [InlineData("""{"query":"q","positive":"p","positive_id":"d1","negative":"n"}""", "line 2: both \"positive\" and \"positive_id\" are given; give the text in \"positive\" or the index id in \"positive_id\", not both.")]
    [InlineData("""{"query":"q","positive":"p","negative_id":"d99"}""", "line 2: \"negative_id\" 'd99' is not a document of the index; check the id or give the text in \"negative\".")]
    public void Read_BadLine_NamesFileLineAndFix(string badLine, string expected)
    {
        var path = TrainingFiles.Write("triples.jsonl", """{"query":"q","positive":"p","negative":"n"}""", badLine);

        var ex = Assert.Throws<InvalidInputException>(() => TriplesReader.Read(path, TrainingFiles.Store()));

        Assert.StartsWith($"'{path}' {expected}", ex.Message);
        Assert.Equal((path, 2), (ex.Path, ex.Line));
    }

    [Fact]
    public void Read_IdWithoutIndex_AsksForIndex()
    {
        var path = TrainingFiles.Write("triples.jsonl", """{"query":"q","positive_id":"d1","negative":"n"}""");

        var ex = Assert.Throws<InvalidInputException>(() => TriplesReader.Read(path, store: null));

        Assert.Equal($"'{path}' line 1: \"positive_id\" 'd1' refers to an index document, but no index was given; pass --index or give the text in \"positive\".", ex.Message);
    }

    [Fact]
    public void Read_EmptyFile_SaysWhatIsExpected()
    {
        var path = TrainingFiles.Write("triples.jsonl", "");

        var ex = Assert.Throws<InvalidInputException>(() => TriplesReader.Read(path, null));

        Assert.Equal($"'{path}' holds no triples; expected one JSON object per line with \"query\", \"positive\" and \"negative\".", ex.Message);
    }

    [Fact]
    public void Read_MissingFile_SaysCheckThePath()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "nope.jsonl");

        var ex = Assert.Throws<InvalidInputException>(() => TriplesReader.Read(path, null));

        Assert.Equal($"'{path}' does not exist; expected a JSON-lines file. Check the path.", ex.Message);
    }
}
