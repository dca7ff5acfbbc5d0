using System.Text.Json;

namespace Rerank.Lucene.Evaluation;

/// <summary>
/// Reads a BEIR <c>queries.jsonl</c> file: one JSON object per line with a string <c>_id</c>
/// and a string <c>text</c>; other fields (BEIR's <c>metadata</c>) are ignored, blank lines
/// are skipped. The file must be UTF-8; it is decoded strictly, never with replacement characters.
/// </summary>
/// <example>
/// <code>
/// var queries = QueryFileReader.Read("datasets/scifact/queries.jsonl");
/// foreach (var q in queries) Console.WriteLine($"{q.Id}: {q.Text}");
/// </code>
/// </example>
public static class QueryFileReader
{
    private const string FileKind = "Queries file";
    private const string Expected = "a BEIR queries.jsonl file with one {\"_id\": ..., \"text\": ...} object per line";
    private const string Example = "{\"_id\": \"q1\", \"text\": \"what causes rain\"}";

    /// <summary>Reads all queries, in file order.</summary>
    /// <param name="path">The <c>queries.jsonl</c> file.</param>
    /// <returns>The queries in the order of the file; at least one.</returns>
    /// <exception cref="InvalidInputException">The file is missing or unreadable, is not
    /// UTF-8, a line is not a JSON object, <c>_id</c> or <c>text</c> is missing, not a string
    /// or empty, an id contains whitespace or a control character or repeats, or the file has no query at all.
    /// The message names the file and line.</exception>
    public static IReadOnlyList<QueryRecord> Read(string path)
    {
        var queries = new List<QueryRecord>();
        var firstLineOfId = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in Utf8LineReader.ReadLines(path, FileKind, Expected))
        {
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            var query = Parse(line, path);
            if (firstLineOfId.TryGetValue(query.Id, out var first))
            {
                throw new InvalidInputException(
                    $"{FileKind} '{path}', line {line.Number}: expected a new query id, found \"{query.Id}\", " +
                    $"which line {first} already uses. Query ids must be unique; remove or rename one of the two.",
                    path, line.Number);
            }
            firstLineOfId.Add(query.Id, line.Number);
            queries.Add(query);
        }
        if (queries.Count == 0)
        {
            throw new InvalidInputException(
                $"{FileKind} '{path}' has no queries; expected {Expected}, e.g. {Example}.", path);
        }
        return queries;
    }

    private static QueryRecord Parse(TextLine line, string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line.Text);
        }
        catch (JsonException e)
        {
            var column = (e.BytePositionInLine ?? 0) + 1;
            throw new InvalidInputException(
                $"{FileKind} '{path}', line {line.Number}: expected a JSON object, found text that is not valid JSON " +
                $"(error near byte {column}): '{Utf8LineReader.Excerpt(line.Text)}'. Fix or remove the line; " +
                $"each line must be one object like {Example}.",
                path, line.Number, e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidInputException(
                    $"{FileKind} '{path}', line {line.Number}: expected a JSON object, found {JsonKinds.Describe(root.ValueKind)}: " +
                    $"'{Utf8LineReader.Excerpt(line.Text)}'. Each line must be one object like {Example}.",
                    path, line.Number);
            }
            var id = RequiredString(root, "_id", line, path);
            if (IdRules.Problem(id) is { } problem)
            {
                throw new InvalidInputException(
                    $"{FileKind} '{path}', line {line.Number}: expected a non-empty \"_id\" without whitespace or control characters, " +
                    $"found {IdRules.Quote(id)}, which {problem}. Give the query an id such as \"q1\" (run files and qrels separate columns by whitespace).",
                    path, line.Number);
            }
            var text = RequiredString(root, "text", line, path);
            if (string.IsNullOrWhiteSpace(text))
            {
                var found = text.Length == 0 ? "an empty string" : "only whitespace";
                throw new InvalidInputException(
                    $"{FileKind} '{path}', line {line.Number}: expected a non-empty \"text\" for query \"{id}\", " +
                    $"found {found}. Write the query text, or remove the line.",
                    path, line.Number);
            }
            return new QueryRecord(id, text);
        }
    }

    private static string RequiredString(JsonElement root, string name, TextLine line, string path)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            throw new InvalidInputException(
                $"{FileKind} '{path}', line {line.Number}: expected a string \"{name}\" field, found none. " +
                $"Add it, e.g. {Example}.",
                path, line.Number);
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            var found = value.ValueKind == JsonValueKind.Null
                ? "null"
                : $"{JsonKinds.Describe(value.ValueKind)} ({Utf8LineReader.Excerpt(value.GetRawText())})";
            throw new InvalidInputException(
                $"{FileKind} '{path}', line {line.Number}: expected \"{name}\" to be a string, found {found}. " +
                $"Write the value in double quotes, e.g. {Example}.",
                path, line.Number);
        }
        return JsonKinds.TryGetString(value) ?? throw new InvalidInputException(
            $"{FileKind} '{path}', line {line.Number}: \"{name}\" {JsonKinds.LoneSurrogate} on that line.", path, line.Number);
    }
}
