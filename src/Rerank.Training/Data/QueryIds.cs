using System.Text.Json;

namespace Rerank.Training.Data;

/// <summary>
/// Gives rows of a triples or pairs file their query id: the row's <c>"query_id"</c> when present,
/// otherwise a synthetic <c>"L{line}"</c> from the line where that query text first appears, so
/// every row of the same query shares one id and a validation split never separates them.
/// </summary>
internal sealed class QueryIds
{
    private readonly Dictionary<string, string> _byText = new(StringComparer.Ordinal);

    /// <summary>The id for the row at <paramref name="line"/> whose query text is <paramref name="query"/>.</summary>
    public string For(JsonElement row, string query, string path, int line) =>
        JsonlFile.OptionalId(row, "query_id", path, line)
        ?? (_byText.TryGetValue(query, out var id) ? id : _byText[query] = $"L{line}");
}
