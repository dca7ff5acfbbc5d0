using System.Text;
using Rerank.Lucene.Indexing;

namespace Rerank.Lucene.Tests.Indexing;

public sealed class CorpusReaderTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDir("corpus");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    private static InvalidInputException ReadFails(Func<IEnumerable<CorpusDocument>> read) =>
        Assert.Throws<InvalidInputException>(() => read().ToList());

    [Fact]
    public void ReadJsonl_BeirCorpus_ReadsIdsTitlesAndTextsInOrder()
    {
        var path = WriteFile("corpus.jsonl",
            "\uFEFF{\"_id\": \"d1\", \"title\": \"Tea\", \"text\": \"Green tea — \\\"matcha\\\".\", \"metadata\": {}}\r\n"
            + "\n"
            + "{\"_id\": \"d2\", \"title\": \"\", \"text\": \"No title here.\"}\n"
            + "{\"_id\": \"d3\", \"title\": \"Only a title\", \"text\": \"\"}");

        var docs = CorpusReader.ReadJsonl(path).ToList();

        Assert.Equal(
            [new("d1", "Tea", "Green tea — \"matcha\"."), new("d2", "", "No title here."), new CorpusDocument("d3", "Only a title", "")],
            docs);
    }

    [Fact]
    public void ReadJsonl_GenericFieldNames_UsesChosenFieldsAndAcceptsNumericIds()
    {
        var path = WriteFile("docs.jsonl",
            "{\"docid\": 17, \"body\": \"Seventeen.\"}\n{\"docid\": \"x\", \"body\": \"Ex.\", \"headline\": \"H\"}\n");

        var docs = CorpusReader.ReadJsonl(path, new CorpusReaderOptions("docid", null, "body", KeepFields: [])).ToList();
        // By default the other fields are kept: here "headline", which is not read as the title.
        var kept = CorpusReader.ReadJsonl(path, new CorpusReaderOptions("docid", null, "body")).ToList();

        Assert.Equal([new("17", "", "Seventeen."), new CorpusDocument("x", "", "Ex.")], docs);
        Assert.Null(kept[0].Fields);
        Assert.Equal("H", kept[1].Fields!["headline"].GetString());
        var withTitle = CorpusReader.ReadJsonl(path, new CorpusReaderOptions("docid", "headline", "body")).ToList();
        Assert.Equal(["", "H"], withTitle.Select(d => d.Title));
    }

    [Fact]
    public void ReadFolder_TxtAndMd_IdsAreRelativePathsAndMdTitleIsFirstLine()
    {
        WriteFile("b.txt", "Plain text\r\nsecond line\n");
        WriteFile(Path.Combine("notes", "tea.md"), "\n## Green tea \nIt is steamed.\n\nThen dried.\n");
        WriteFile("ignored.json", "{}");

        var docs = CorpusReader.Read(_dir).ToList();

        Assert.Equal(
            [new("b", "", "Plain text\nsecond line"), new CorpusDocument("notes/tea", "Green tea", "It is steamed.\n\nThen dried.")],
            docs);
    }

    [Fact]
    public void ReadFolder_SameNameTxtAndMd_ThrowsDuplicateNamingBothFiles()
    {
        var a = WriteFile("a.md", "# A\nx");
        var b = WriteFile("a.txt", "y");

        var e = ReadFails(() => CorpusReader.ReadFolder(_dir));

        Assert.Equal($"{b}: duplicate document id 'a', also the id of '{a}'. Document ids come from file names without extension: rename one of the files.", e.Message);
    }

    [Fact]
    public void ReadFolder_EmptyFile_ThrowsEmptyDocument()
    {
        var f = WriteFile("empty.txt", "  \n\n");

        var e = ReadFails(() => CorpusReader.ReadFolder(_dir));

        Assert.Equal($"{f}: document 'empty' is empty: expected a title or text, found neither. Remove the file or give it some text.", e.Message);
    }

    [Fact]
    public void ReadJsonl_MalformedJson_ThrowsNamingLine()
    {
        var path = WriteFile("c.jsonl", "{\"_id\": \"a\", \"text\": \"ok\"}\n{\"_id\": \"b\", \"text\": oops}\n");

        var e = ReadFails(() => CorpusReader.ReadJsonl(path));

        Assert.Equal($"{path} line 2: expected one JSON object per line, found malformed JSON (error at byte 22). Fix or remove that line.", e.Message);
        Assert.Equal((path, 2), (e.Path, e.Line));
    }

    [Fact]
    public void ReadJsonl_NotAnObject_ThrowsNamingKind()
    {
        var path = WriteFile("c.jsonl", "[1, 2]\n");

        var e = ReadFails(() => CorpusReader.ReadJsonl(path));

        Assert.Equal($"{path} line 1: expected one JSON object per line, found an array. Fix or remove that line.", e.Message);
    }

    [Fact]
    public void ReadJsonl_MissingIdField_ListsAvailableFields()
    {
        var path = WriteFile("c.jsonl", "{\"id\": \"a\", \"title\": \"t\", \"text\": \"x\"}\n");

        var e = ReadFails(() => CorpusReader.ReadJsonl(path));

        Assert.Equal($"{path} line 1: expected the id field '_id', found only the fields 'id', 'title', 'text'. "
            + "Name the id field with --id-field (CorpusReaderOptions), or add '_id' to every line.", e.Message);
    }

    [Fact]
    public void ReadJsonl_MissingTextField_ListsAvailableFields()
    {
        var path = WriteFile("c.jsonl", "{\"_id\": \"a\", \"contents\": \"x\"}\n");

        var e = ReadFails(() => CorpusReader.ReadJsonl(path));

        Assert.Equal($"{path} line 1: expected the text field 'text', found only the fields '_id', 'contents'. "
            + "Name the text field with --text-field (CorpusReaderOptions), or add 'text' to every line.", e.Message);
    }

    [Fact]
    public void ReadJsonl_TextNotAString_ThrowsWrongType()
    {
        var path = WriteFile("c.jsonl", "{\"_id\": \"a\", \"text\": [\"x\"]}\n");

        var e = ReadFails(() => CorpusReader.ReadJsonl(path));

        Assert.Equal($"{path} line 1: expected field 'text' to be a string, found an array. Fix the value on that line.", e.Message);
    }

    [Fact]
    public void ReadJsonl_DuplicateId_NamesBothLines()
    {
        var path = WriteFile("c.jsonl", "{\"_id\": \"a\", \"text\": \"1\"}\n{\"_id\": \"b\", \"text\": \"2\"}\n\n{\"_id\": \"a\", \"text\": \"3\"}\n");

        var e = ReadFails(() => CorpusReader.ReadJsonl(path));

        Assert.Equal($"{path} line 4: duplicate document id 'a', first seen on line 1. Document ids must be unique: remove or rename one of them.", e.Message);
        Assert.Equal(4, e.Line);
    }

    [Fact]
    public void ReadJsonl_EmptyDocument_Throws()
    {
        var path = WriteFile("c.jsonl", "{\"_id\": \"a\", \"title\": \" \", \"text\": null}\n");

        var e = ReadFails(() => CorpusReader.ReadJsonl(path));

        Assert.Equal($"{path} line 1: document 'a' is empty: expected a title or text, found neither. Remove the line, give the document some text, or pass --skip-empty to leave empty documents out.", e.Message);
    }

    [Fact]
    public void ReadJsonl_EmptyDocumentWithSkipEmpty_LeavesItOut()
    {
        var path = WriteFile("c.jsonl",
            "{\"_id\": \"a\", \"text\": \"first\"}\n" +
            "{\"_id\": \"b\", \"title\": \" \", \"text\": \"\"}\n" +
            "{\"_id\": \"c\", \"text\": \"third\"}\n");

        var docs = CorpusReader.ReadJsonl(path, new CorpusReaderOptions(SkipEmpty: true)).ToList();

        Assert.Equal(["a", "c"], docs.Select(d => d.Id));
    }

    [Fact]
    public void ReadJsonl_EmptyId_Throws()
    {
        var path = WriteFile("c.jsonl", "{\"_id\": \"\", \"text\": \"x\"}\n");

        var e = ReadFails(() => CorpusReader.ReadJsonl(path));

        Assert.Equal($"{path} line 1: expected a non-empty id in field '_id', found an empty string. Give the document an id or remove the line.", e.Message);
    }

    [Fact]
    public void ReadJsonl_InvalidUtf8_ThrowsNamingLineAndBytes()
    {
        var path = Path.Combine(_dir, "bad.jsonl");
        var bytes = new List<byte>();
        bytes.AddRange(Encoding.UTF8.GetBytes("{\"_id\": \"a\", \"text\": \"caf\u00e9\"}\n{\"_id\": \"b\", \"text\": \"caf"));
        bytes.Add(0xE9); // Latin-1 'é', not valid UTF-8 on its own
        bytes.AddRange(Encoding.UTF8.GetBytes("\"}\n"));
        File.WriteAllBytes(path, bytes.ToArray());

        var docs = CorpusReader.ReadJsonl(path).GetEnumerator();
        Assert.True(docs.MoveNext());
        Assert.Equal("caf\u00e9", docs.Current.Text);
        var e = Assert.Throws<InvalidInputException>(() => docs.MoveNext());

        Assert.Equal($"Corpus file '{path}', line 2: expected UTF-8 text, found the byte 0xE9 at byte 26 of the line, which is not valid UTF-8. Re-save the file as UTF-8.", e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void ReadJsonl_MissingFile_ThrowsAtOnce()
    {
        var path = Path.Combine(_dir, "nope.jsonl");

        var e = Assert.Throws<InvalidInputException>(() => CorpusReader.ReadJsonl(path));

        Assert.Equal($"Corpus file '{path}' does not exist: expected a BEIR corpus.jsonl, a JSONL file or a folder of .txt/.md files. Check the --corpus path.", e.Message);
    }

    [Fact]
    public void ReadFolder_MissingFolder_ThrowsAtOnce()
    {
        var path = Path.Combine(_dir, "nope");

        var e = Assert.Throws<InvalidInputException>(() => CorpusReader.ReadFolder(path));

        Assert.Equal($"Corpus folder '{path}' does not exist: expected a folder of .txt/.md files. Check the --corpus path.", e.Message);
    }

    [Fact]
    public void ReadJsonl_CountDocuments_CountsNonBlankLinesWithoutParsing()
    {
        var path = WriteFile("c.jsonl", "{}\n\n  \r\nnot json\n{}");

        var seq = Assert.IsType<CorpusReader.CorpusSequence>(CorpusReader.ReadJsonl(path));

        Assert.Equal(3, seq.CountDocuments());
    }
}
