using System.Text.Json;

namespace Rerank.Lucene;

/// <summary>Words for JSON value kinds in error messages ("found a number").</summary>
internal static class JsonKinds
{
    /// <summary>"an object", "an array", "a string", "a number", "a boolean", "null" or "nothing".</summary>
    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
