namespace Rerank.Training.Data;

/// <summary>
/// The one place that turns a stored document (title, text) into the string the cross-encoder
/// reads. Training and reranking must join identically, or the model is trained on a different
/// input than it is asked to score.
/// </summary>
public static class DocumentText
{
    /// <summary>
    /// Joins <paramref name="title"/> and <paramref name="text"/> as <c>(title + " " + text).Trim()</c>,
    /// exactly as BEIR's reranking code does (<c>beir/reranking/rerank.py</c>), which produced the
    /// published BM25 + cross-encoder numbers we compare against (SciFact 0.688). A missing title
    /// gives the text alone; a missing text gives the title alone.
    /// </summary>
    /// <example><c>Join("Aspirin.", "It thins blood.")</c> is <c>"Aspirin. It thins blood."</c>;
    /// <c>Join(null, "It thins blood.")</c> is <c>"It thins blood."</c>.</example>
    public static string Join(string? title, string? text) => ((title ?? "") + " " + (text ?? "")).Trim();
}
