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

    /// <summary>
    /// The string value of <paramref name="value"/>, or null when it holds an escaped lone surrogate
    /// ("\ud800" without its pair), which is not text: System.Text.Json refuses to decode it.
    /// </summary>
    public static string? TryGetString(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The end of a message for a string that <see cref="TryGetString"/> could not decode.</summary>
    public const string LoneSurrogate =
        "holds an escaped half of a UTF-16 surrogate pair (such as \\ud800 without the \\udc00-\\udfff that must follow), which is not text. Fix that escape";
}
