namespace Rerank.Lucene.Reranking;

/// <summary>
/// How a stored document becomes the text a cross-encoder reads. Training and reranking both
/// call this, so a model never sees documents formatted differently at run time than in training.
/// </summary>
public static class DocumentText
{
    /// <summary>
    /// Title and body joined by one space, trimmed (as BEIR's reranking evaluation joins them);
    /// an empty title gives the body alone.
    /// </summary>
    /// <example><c>Join("Aspirin", "Reduces fever.")</c> returns <c>"Aspirin Reduces fever."</c></example>
    public static string Join(string? title, string? text)
    {
        title = title?.Trim() ?? "";
        text = text?.Trim() ?? "";
        if (title.Length == 0) return text;
        if (text.Length == 0) return title;
        return title + " " + text;
    }
}
