using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

public sealed class TrainingGroupsFileTests
{
    [Fact]
    public void WriteThenRead_Groups_RoundTripExactly()
    {
        var groups = new[]
        {
            new TrainingGroup("q1", "blood \"thinner\" — ünïcode", [new TrainingDocument("d1", "Aspirin.\nIt thins blood.")],
                [new TrainingDocument("d2", "Coffee"), new TrainingDocument(null, "inline text")]),
            new TrainingGroup("q2", "sleep", [new TrainingDocument("d3", "Sleep."), new TrainingDocument("d4", "Naps.")], []),
        };
        var path = Path.Combine(TestPaths.NewTempDir(), "mined.jsonl");

        TrainingGroupsFile.Write(path, groups);
        var back = TrainingGroupsFile.Read(path);

        Assert.Equal(2, File.ReadAllLines(path).Length);
        Assert.Equal(groups.Length, back.Count);
        for (var i = 0; i < groups.Length; i++)
        {
            Assert.Equal((groups[i].QueryId, groups[i].Query), (back[i].QueryId, back[i].Query));
            Assert.Equal(groups[i].Positives, back[i].Positives);
            Assert.Equal(groups[i].Negatives, back[i].Negatives);
        }
    }

    [Fact]
    public void Read_InvalidUtf8_NamesLineAndByteInsteadOfReplacingIt()
    {
        // Latin-1 'é' (0xE9) inside a query: read leniently it would silently become U+FFFD.
        var path = Path.Combine(TestPaths.NewTempDir(), "latin1.jsonl");
        var good = """{"query_id":"q1","query":"q","positives":[{"id":"d1","text":"p"}],"negatives":[]}""";
        File.WriteAllBytes(path, [.. System.Text.Encoding.UTF8.GetBytes(good + "\n{\"query_id\":\"q2\",\"query\":\"caf"), 0xE9, .. "\"}\n"u8]);

        var e = Assert.Throws<InvalidInputException>(() => TrainingGroupsFile.Read(path));

        Assert.Equal($"JSON-lines file '{path}', line 2: expected UTF-8 text, found the byte 0xE9 at byte 30 of the line, which is not valid UTF-8. Re-save the file as UTF-8.", e.Message);
        Assert.Equal((path, 2), (e.Path, e.Line));
    }

    [Fact]
    public void Write_OneGroup_ExactLine()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "mined.jsonl");

        TrainingGroupsFile.Write(path, [new TrainingGroup("q1", "q", [new TrainingDocument("d1", "p")], [new TrainingDocument(null, "n")])]);

        Assert.Equal("""{"query_id":"q1","query":"q","positives":[{"id":"d1","text":"p"}],"negatives":[{"id":null,"text":"n"}]}""" + "\n", File.ReadAllText(path));
    }

    [Theory]
    [InlineData("""{"query":"q","positives":[{"id":"d1","text":"p"}],"negatives":[]}""", "line 1: missing field \"query_id\"; expected the query id.")]
    [InlineData("""{"query_id":"q1","query":"q","positives":[],"negatives":[]}""", "line 1: \"positives\" is empty; expected at least one positive document.")]
    [InlineData("""{"query_id":"q1","query":"q","positives":[{"id":"d1","text":"p"}]}""", "line 1: missing field \"negatives\"; expected an array of {\"id\", \"text\"} objects.")]
    [InlineData("""{"query_id":"q1","query":"q","positives":{"id":"d1"},"negatives":[]}""", "line 1: field \"positives\" must be an array, found an object; expected an array of {\"id\", \"text\"} objects.")]
    [InlineData("""{"query_id":"q1","query":"q","positives":[{"id":"d1"}],"negatives":[]}""", "line 1: missing field \"text\"; expected the document text.")]
    public void Read_BadLine_NamesFileLineAndFix(string line, string expected)
    {
        var path = TrainingFiles.Write("mined.jsonl", line);

        var ex = Assert.Throws<InvalidInputException>(() => TrainingGroupsFile.Read(path));

        Assert.Equal($"'{path}' {expected}", ex.Message);
    }
}
