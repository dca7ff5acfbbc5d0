using System.Text.Json;

namespace Rerank.Lucene;

/// <summary>
/// What makes a document or query id safe to carry through every later step: TREC run files and qrels
/// separate columns by whitespace, and a line break, a control character or half a UTF-16 surrogate pair
/// cannot be written and read back as the same id. Corpus, query and qrels readers check ids with this
/// where they enter, so a problem is reported with its file and line instead of failing at evaluation.
/// </summary>
internal static class IdRules
{
    /// <summary>Null when <paramref name="id"/> round-trips through run files and qrels; else what is wrong,
    /// e.g. "is empty" or "contains a space at character 4".</summary>
    public static string? Problem(string id)
    {
        if (id.Length == 0) return "is empty";
        for (var i = 0; i < id.Length; i++)
        {
            var c = id[i];
            if (char.IsWhiteSpace(c)) return $"contains {Describe(c)} at character {i + 1}";
            if (char.IsControl(c)) return $"contains the control character U+{(int)c:X4} at character {i + 1}";
            if (char.IsHighSurrogate(c) && i + 1 < id.Length && char.IsLowSurrogate(id[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c)) return $"contains half a UTF-16 surrogate pair (U+{(int)c:X4}) at character {i + 1}, which UTF-8 cannot encode";
        }
        return null;
    }

    /// <summary>The id in double quotes with JSON escapes, so a tab or control character is visible in a message.</summary>
    public static string Quote(string id) =>
        JsonSerializer.Serialize(id, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static string Describe(char c) => c switch
    {
        ' ' => "a space",
        '\t' => "a tab",
        '\n' or '\r' => "a line break",
        _ => $"the whitespace character U+{(int)c:X4}",
    };
}
