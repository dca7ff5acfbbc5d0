namespace Search.Host.Cli;

/// <summary>Short one-line excerpts of document text for result lists.</summary>
internal static class Snippet
{
    /// <summary>Default snippet length in characters: fits one terminal line beside rank, id and score.</summary>
    public const int DefaultLength = 140;

    /// <summary>The first <paramref name="length"/> characters, whitespace collapsed, cut at a word boundary with an ellipsis.</summary>
    public static string Of(string text, int length = DefaultLength)
    {
        var collapsed = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (collapsed.Length <= length) return collapsed;
        var cut = collapsed.LastIndexOf(' ', length);
        if (cut < length / 2) cut = length;
        return collapsed[..cut] + "…";
    }
}
