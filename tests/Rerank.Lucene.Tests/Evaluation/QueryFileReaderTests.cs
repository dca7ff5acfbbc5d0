using System.Text;
using Rerank.Lucene.Evaluation;

namespace Rerank.Lucene.Tests.Evaluation;

public sealed class QueryFileReaderTests
{
    [Fact]
    public void Read_ValidFile_ReturnsQueriesInFileOrder()
    {
        // BOM, CRLF line ends, a blank line, BEIR's extra "metadata" field, non-ASCII text, no final newline.
        var path = EvalFiles.Text("queries.jsonl",
            "\uFEFF{\"_id\": \"q2\", \"text\": \"what is BM25?\", \"metadata\": {}}\r\n" +
            "\r\n" +
            "{\"_id\": \"q1\", \"text\": \"caf\u00e9 \u03b2-blockers\"}");

        var queries = QueryFileReader.Read(path);

        Assert.Equal(
            [new QueryRecord("q2", "what is BM25?"), new QueryRecord("q1", "caf\u00e9 \u03b2-blockers")],
            queries);
    }

    [Fact]
    public void Read_MissingFile_ThrowsNamingPath()
    {
        var path = EvalFiles.Missing("queries.jsonl");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}' does not exist; expected a BEIR queries.jsonl file with one " +
            "{\"_id\": ..., \"text\": ...} object per line. Check the path.",
            e.Message);
        Assert.Equal(path, e.Path);
        Assert.Null(e.Line);
    }

    [Fact]
    public void Read_Folder_ThrowsAskingForTheFile()
    {
        var dir = TestPaths.NewTempDir("eval");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(dir));

        Assert.Equal(
            $"Queries file '{dir}' is a folder; expected a BEIR queries.jsonl file with one " +
            "{\"_id\": ..., \"text\": ...} object per line. Pass the path of the file itself.",
            e.Message);
    }

    [Fact]
    public void Read_MalformedJson_ThrowsWithLineAndText()
    {
        // '}' where a value belongs is the 23rd byte of the line: {"_id": "q2", "text": } has
        // '{' 1, '"_id"' 2-6, ':' 7, ' ' 8, '"q2"' 9-12, ',' 13, ' ' 14, '"text"' 15-20, ':' 21, ' ' 22, '}' 23.
        var path = EvalFiles.Text("queries.jsonl",
            "{\"_id\": \"q1\", \"text\": \"a\"}\n{\"_id\": \"q2\", \"text\": }\n");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}', line 2: expected a JSON object, found text that is not valid JSON " +
            "(error near byte 23): '{\"_id\": \"q2\", \"text\": }'. Fix or remove the line; each line must be one " +
            "object like {\"_id\": \"q1\", \"text\": \"what causes rain\"}.",
            e.Message);
        Assert.Equal(2, e.Line);
        Assert.Equal(path, e.Path);
    }

    [Fact]
    public void Read_LineIsAnArray_Throws()
    {
        var path = EvalFiles.Text("queries.jsonl", "[\"q1\", \"a\"]\n");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}', line 1: expected a JSON object, found an array: '[\"q1\", \"a\"]'. " +
            "Each line must be one object like {\"_id\": \"q1\", \"text\": \"what causes rain\"}.",
            e.Message);
    }

    [Fact]
    public void Read_MissingId_Throws()
    {
        var path = EvalFiles.Text("queries.jsonl", "{\"id\": \"q1\", \"text\": \"a\"}\n");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}', line 1: expected a string \"_id\" field, found none. " +
            "Add it, e.g. {\"_id\": \"q1\", \"text\": \"what causes rain\"}.",
            e.Message);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void Read_NumericId_ThrowsAskingForQuotes()
    {
        var path = EvalFiles.Text("queries.jsonl", "{\"_id\": 7, \"text\": \"a\"}\n");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}', line 1: expected \"_id\" to be a string, found a number (7). " +
            "Write the value in double quotes, e.g. {\"_id\": \"q1\", \"text\": \"what causes rain\"}.",
            e.Message);
    }

    [Fact]
    public void Read_MissingText_Throws()
    {
        var path = EvalFiles.Text("queries.jsonl", "{\"_id\": \"q1\", \"query\": \"a\"}\n");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}', line 1: expected a string \"text\" field, found none. " +
            "Add it, e.g. {\"_id\": \"q1\", \"text\": \"what causes rain\"}.",
            e.Message);
    }

    [Fact]
    public void Read_NullText_Throws()
    {
        var path = EvalFiles.Text("queries.jsonl", "{\"_id\": \"q1\", \"text\": null}\n");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}', line 1: expected \"text\" to be a string, found null. " +
            "Write the value in double quotes, e.g. {\"_id\": \"q1\", \"text\": \"what causes rain\"}.",
            e.Message);
    }

    [Theory]
    [InlineData("", "an empty string")]
    [InlineData(" \\t ", "only whitespace")]
    public void Read_EmptyText_Throws(string jsonText, string found)
    {
        var path = EvalFiles.Text("queries.jsonl",
            "{\"_id\": \"q1\", \"text\": \"a\"}\n{\"_id\": \"q2\", \"text\": \"" + jsonText + "\"}\n");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}', line 2: expected a non-empty \"text\" for query \"q2\", found {found}. " +
            "Write the query text, or remove the line.",
            e.Message);
        Assert.Equal(2, e.Line);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("q 1", "contains a space at character 2")]
    public void Read_EmptyOrSpacedId_Throws(string id, string problem)
    {
        var path = EvalFiles.Text("queries.jsonl", "{\"_id\": \"" + id + "\", \"text\": \"a\"}\n");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}', line 1: expected a non-empty \"_id\" without whitespace or control characters, found \"{id}\", which {problem}. " +
            "Give the query an id such as \"q1\" (run files and qrels separate columns by whitespace).",
            e.Message);
    }

    [Fact]
    public void Read_DuplicateId_ThrowsNamingBothLines()
    {
        var path = EvalFiles.Text("queries.jsonl",
            "{\"_id\": \"q1\", \"text\": \"a\"}\n{\"_id\": \"q2\", \"text\": \"b\"}\n{\"_id\": \"q1\", \"text\": \"c\"}\n");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}', line 3: expected a new query id, found \"q1\", which line 1 already uses. " +
            "Query ids must be unique; remove or rename one of the two.",
            e.Message);
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Read_InvalidUtf8_ThrowsNamingLineAndByte()
    {
        // Line 2 is {"_id": "q2", "text": "a<FF>b"}: '{' 1, '"_id"' 2-6, ':' 7, ' ' 8, '"q2"' 9-12,
        // ',' 13, ' ' 14, '"text"' 15-20, ':' 21, ' ' 22, '"' 23, 'a' 24, so 0xFF is byte 25.
        var bytes = Encoding.ASCII.GetBytes("{\"_id\": \"q1\", \"text\": \"a\"}\n{\"_id\": \"q2\", \"text\": \"a")
            .Concat(new byte[] { 0xFF })
            .Concat(Encoding.ASCII.GetBytes("b\"}\n"))
            .ToArray();
        var path = EvalFiles.Bytes("queries.jsonl", bytes);

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}', line 2: expected UTF-8 text, found the byte 0xFF at byte 25 of the line, " +
            "which is not valid UTF-8. Re-save the file as UTF-8.",
            e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Read_TruncatedUtf8AtEndOfFile_Throws()
    {
        // "é" is C3 A9; the file ends after C3 with no newline: line 1, byte 3 ('a' 1, 'b' 2, C3 3).
        var path = EvalFiles.Bytes("queries.jsonl", [(byte)'a', (byte)'b', 0xC3]);

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}', line 1: expected UTF-8 text, found the byte 0xC3 at byte 3 of the line, " +
            "which is not valid UTF-8. Re-save the file as UTF-8.",
            e.Message);
    }

    [Fact]
    public void Read_OnlyBlankLines_ThrowsNoQueries()
    {
        var path = EvalFiles.Text("queries.jsonl", "\n  \n");

        var e = Assert.Throws<InvalidInputException>(() => QueryFileReader.Read(path));

        Assert.Equal(
            $"Queries file '{path}' has no queries; expected a BEIR queries.jsonl file with one " +
            "{\"_id\": ..., \"text\": ...} object per line, e.g. {\"_id\": \"q1\", \"text\": \"what causes rain\"}.",
            e.Message);
    }

    [Fact]
    public void Read_LinesLongerThanTheReadBuffer_AreJoinedCorrectly()
    {
        // 3 lines of ~50,000 bytes each straddle the 65,536-byte read chunks.
        var texts = Enumerable.Range(0, 3).Select(i => new string((char)('a' + i), 50_000)).ToArray();
        var path = EvalFiles.Text("queries.jsonl",
            string.Concat(texts.Select((t, i) => $"{{\"_id\": \"q{i}\", \"text\": \"{t}\"}}\n")));

        var queries = QueryFileReader.Read(path);

        Assert.Equal(texts.Select((t, i) => new QueryRecord($"q{i}", t)), queries);
    }
}
