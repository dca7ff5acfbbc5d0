using System.Globalization;
using System.Text.Json;
using Rerank.Lucene;

namespace Rerank.Training.Data;

/// <summary>
/// Reads a labelled-pairs file, one JSON object per line:
/// <c>{"query": "...", "document": "...", "label": 1}</c>, the label a number in [0, 1]
/// (1 relevant, 0 not; graded judgments scaled into the range). The document may instead be an
/// index id in <c>"document_id"</c>. An optional <c>"query_id"</c> names the query; otherwise rows
/// with the same query text share the id <c>L{first line}</c>.
/// </summary>
internal static class LabeledPairsReader
{
    /// <summary>One <see cref="LabeledPair"/> per line, in file order.</summary>
    /// <param name="path">The JSON-lines file.</param>
    /// <param name="store">The index documents, to resolve <c>"document_id"</c>; null when no index is given.</param>
    public static IReadOnlyList<LabeledPair> Read(string path, IDocumentStore? store)
    {
        var ids = new QueryIds();
        var pairs = new List<LabeledPair>();
        foreach (var (line, row) in JsonlFile.ReadObjects(path))
        {
            var query = JsonlFile.RequiredText(row, "query", path, line, "the query text");
            var document = DocumentField.Read(row, "document", store, path, line);
            var label = ReadLabel(row, path, line);
            pairs.Add(new LabeledPair(ids.For(row, query, path, line), query, document, label));
        }
        if (pairs.Count == 0)
            throw new InvalidInputException(
                $"'{path}' holds no labelled pairs; expected one JSON object per line with \"query\", \"document\" and \"label\".", path);
        return pairs;
    }

    private static float ReadLabel(JsonElement row, string path, int line)
    {
        const string Expected = "a number in [0, 1] (1 relevant, 0 not relevant, graded scores scaled into the range)";
        if (!row.TryGetProperty("label", out var value))
            throw new InvalidInputException($"'{path}' line {line}: missing field \"label\"; expected {Expected}.", path, line);
        if (value.ValueKind != JsonValueKind.Number)
            throw new InvalidInputException(
                $"'{path}' line {line}: field \"label\" must be a number, found {JsonlFile.Kind(value)}; expected {Expected}.", path, line);
        var label = value.GetDouble();
        if (!(label >= 0 && label <= 1))
            throw new InvalidInputException(
                $"'{path}' line {line}: \"label\" is {label.ToString(CultureInfo.InvariantCulture)}; expected {Expected}.", path, line);
        return (float)label;
    }
}
