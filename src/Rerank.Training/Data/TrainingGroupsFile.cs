using System.Text.Encodings.Web;
using System.Text.Json;
using Rerank.Lucene;
using Rerank.Lucene.Output;

namespace Rerank.Training.Data;

/// <summary>
/// Saves training groups (e.g. mined ones) as JSON lines and reads them back unchanged, so mining
/// runs once and training can be repeated (<c>--mined FILE</c>). One group per line:
/// <c>{"query_id":"q1","query":"...","positives":[{"id":"d1","text":"..."}],"negatives":[{"id":null,"text":"..."}]}</c>.
/// Documents carry their text, so reading needs no index.
/// </summary>
internal static class TrainingGroupsFile
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Writes <paramref name="groups"/> to <paramref name="path"/> through <see cref="AtomicFile"/>, so a failed
    /// write leaves the old file or none; the path is checked (<see cref="OutputTarget.CheckFile"/>, kind
    /// <see cref="OutputKind.MinedFile"/>) before writing and again before the rename.
    /// </summary>
    public static void Write(string path, IEnumerable<TrainingGroup> groups, bool overwrite = false)
    {
        using var file = AtomicFile.Create(path, OutputKind.MinedFile, overwrite, "--write-mined");
        var stream = file.Writer.BaseStream;
        foreach (var g in groups)
        {
            using (var w = new Utf8JsonWriter(stream, WriterOptions))
            {
                w.WriteStartObject();
                w.WriteString("query_id", g.QueryId);
                w.WriteString("query", g.Query);
                WriteDocuments(w, "positives", g.Positives);
                WriteDocuments(w, "negatives", g.Negatives);
                w.WriteEndObject();
            }
            stream.WriteByte((byte)'\n');
        }
        file.Commit();
    }

    /// <summary>The groups of <paramref name="path"/>, in file order.</summary>
    public static IReadOnlyList<TrainingGroup> Read(string path)
    {
        var groups = new List<TrainingGroup>();
        foreach (var (line, row) in JsonlFile.ReadObjects(path))
        {
            var queryId = JsonlFile.OptionalId(row, "query_id", path, line)
                ?? throw new InvalidInputException($"'{path}' line {line}: missing field \"query_id\"; expected the query id.", path, line);
            var query = JsonlFile.RequiredText(row, "query", path, line, "the query text");
            var positives = ReadDocuments(row, "positives", path, line);
            if (positives.Count == 0)
                throw new InvalidInputException($"'{path}' line {line}: \"positives\" is empty; expected at least one positive document.", path, line);
            groups.Add(new TrainingGroup(queryId, query, positives, ReadDocuments(row, "negatives", path, line)));
        }
        return groups;
    }

    private static void WriteDocuments(Utf8JsonWriter w, string name, IReadOnlyList<TrainingDocument> docs)
    {
        w.WriteStartArray(name);
        foreach (var d in docs)
        {
            w.WriteStartObject();
            if (d.DocId is null) w.WriteNull("id");
            else w.WriteString("id", d.DocId);
            w.WriteString("text", d.Text);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static List<TrainingDocument> ReadDocuments(JsonElement row, string name, string path, int line)
    {
        const string Expected = "an array of {\"id\", \"text\"} objects";
        if (!row.TryGetProperty(name, out var array))
            throw new InvalidInputException($"'{path}' line {line}: missing field \"{name}\"; expected {Expected}.", path, line);
        if (array.ValueKind != JsonValueKind.Array)
            throw new InvalidInputException($"'{path}' line {line}: field \"{name}\" must be an array, found {JsonlFile.Kind(array)}; expected {Expected}.", path, line);
        var docs = new List<TrainingDocument>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
                throw new InvalidInputException($"'{path}' line {line}: an item of \"{name}\" is {JsonlFile.Kind(item)}; expected {Expected}.", path, line);
            docs.Add(new TrainingDocument(JsonlFile.OptionalId(item, "id", path, line), JsonlFile.RequiredText(item, "text", path, line, "the document text")));
        }
        return docs;
    }
}
