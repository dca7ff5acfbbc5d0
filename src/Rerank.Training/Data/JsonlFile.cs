using System.Text.Json;
using Rerank.Lucene;

namespace Rerank.Training.Data;

/// <summary>
/// Reads a JSON-lines file one object per line, with the 1-based line number, and the field
/// accessors every training-data reader shares, so all of them word their errors alike:
/// <c>'path' line N: what was expected, what was found. How to fix it.</c> Blank lines are skipped.
/// </summary>
internal static class JsonlFile
{
    /// <summary>Each non-blank line of <paramref name="path"/> parsed as a JSON object, with its line number.</summary>
    public static IEnumerable<(int Line, JsonElement Row)> ReadObjects(string path)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"'{path}' does not exist; expected a JSON-lines file. Check the path.", path);

        foreach (var (lineNo, text) in Utf8LineReader.ReadLines(path, "JSON-lines file", "a JSON-lines file"))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonElement row;
            try
            {
                using var doc = JsonDocument.Parse(text);
                row = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new InvalidInputException(
                    $"'{path}' line {lineNo}: expected one JSON object, found malformed JSON ({ex.Message}). Fix or remove the line.",
                    path, lineNo, ex);
            }
            if (row.ValueKind != JsonValueKind.Object)
                throw new InvalidInputException(
                    $"'{path}' line {lineNo}: expected one JSON object, found {Kind(row)}. Write one object per line.",
                    path, lineNo);
            yield return (lineNo, row);
        }
    }

    /// <summary>A required, non-empty string field.</summary>
    public static string RequiredText(JsonElement row, string field, string path, int line, string what)
    {
        if (!row.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new InvalidInputException($"'{path}' line {line}: missing field \"{field}\"; expected {what}.", path, line);
        return NonEmptyText(value, field, path, line, what);
    }

    /// <summary>An optional string field: null when absent or JSON null; an error when present but empty or not a string.</summary>
    public static string? OptionalText(JsonElement row, string field, string path, int line, string what) =>
        row.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null
            ? NonEmptyText(value, field, path, line, what)
            : null;

    /// <summary>An optional id field: a string or an integer (written as its digits); null when absent.</summary>
    public static string? OptionalId(JsonElement row, string field, string path, int line)
    {
        if (!row.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n)) return n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return NonEmptyText(value, field, path, line, "a document or query id");
    }

    /// <summary>"object", "array", "string", "number", "boolean" or "null", for messages.</summary>
    public static string Kind(JsonElement value) => Rerank.Lucene.JsonKinds.Describe(value.ValueKind);

    private static string NonEmptyText(JsonElement value, string field, string path, int line, string what)
    {
        if (value.ValueKind != JsonValueKind.String)
            throw new InvalidInputException(
                $"'{path}' line {line}: field \"{field}\" must be a string, found {Kind(value)}; expected {what}.", path, line);
        var text = JsonKinds.TryGetString(value) ?? throw new InvalidInputException(
            $"'{path}' line {line}: field \"{field}\" {JsonKinds.LoneSurrogate} on that line.", path, line);
        if (string.IsNullOrWhiteSpace(text))
            throw new InvalidInputException($"'{path}' line {line}: field \"{field}\" is empty; expected {what}.", path, line);
        return text;
    }
}
