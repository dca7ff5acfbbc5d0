using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

public sealed class LabeledPairsReaderTests
{
    [Fact]
    public void Read_TextIdsAndLabels_OnePairPerLine()
    {
        var path = TrainingFiles.Write("pairs.jsonl",
            """{"query":"blood thinner","document":"Aspirin thins blood.","label":1}""",
            """{"query":"blood thinner","document_id":"d2","label":0}""",
            """{"query_id":"x","query":"sleep","document_id":"d3","label":0.25}""");

        var pairs = LabeledPairsReader.Read(path, TrainingFiles.Store());

        Assert.Equal(
            [
                new LabeledPair("L1", "blood thinner", new TrainingDocument(null, "Aspirin thins blood."), 1f),
                new LabeledPair("L1", "blood thinner", new TrainingDocument("d2", "Coffee Caffeine keeps you awake."), 0f),
                new LabeledPair("x", "sleep", new TrainingDocument("d3", "Sleep restores the brain."), 0.25f),
            ],
            pairs);
    }

    [Theory]
    [InlineData("""{"query":"q","document":"d"}""", "line 1: missing field \"label\"; expected a number in [0, 1] (1 relevant, 0 not relevant, graded scores scaled into the range).")]
    [InlineData("""{"query":"q","document":"d","label":"1"}""", "line 1: field \"label\" must be a number, found a string; expected a number in [0, 1] (1 relevant, 0 not relevant, graded scores scaled into the range).")]
    [InlineData("""{"query":"q","document":"d","label":1.5}""", "line 1: \"label\" is 1.5; expected a number in [0, 1] (1 relevant, 0 not relevant, graded scores scaled into the range).")]
    [InlineData("""{"query":"q","document":"d","label":-0.1}""", "line 1: \"label\" is -0.1; expected a number in [0, 1] (1 relevant, 0 not relevant, graded scores scaled into the range).")]
    [InlineData("""{"query":"","document":"d","label":1}""", "line 1: field \"query\" is empty; expected the query text.")]
    [InlineData("""{"query":"q","label":1}""", "line 1: missing field \"document\"; expected the document text in \"document\" or its index id in \"document_id\".")]
    [InlineData("""{"query":"q","document_id":"zz","label":1}""", "line 1: \"document_id\" 'zz' is not a document of the index; check the id or give the text in \"document\".")]
    public void Read_BadLine_NamesFileLineAndFix(string badLine, string expected)
    {
        var path = TrainingFiles.Write("pairs.jsonl", badLine);

        var ex = Assert.Throws<InvalidInputException>(() => LabeledPairsReader.Read(path, TrainingFiles.Store()));

        Assert.Equal($"'{path}' {expected}", ex.Message);
        Assert.Equal(1, ex.Line);
    }
}
