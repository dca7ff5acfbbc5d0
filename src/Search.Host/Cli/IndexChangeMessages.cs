using Rerank.Lucene;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;

namespace Search.Host.Cli;

/// <summary>
/// What <c>search</c> (interactive) and <c>serve</c> print on standard error when the index they hold open changes under
/// them: one wording for both, so an operator reads the same lines from either.
/// </summary>
internal static class IndexChangeMessages
{
    /// <summary>
    /// Writes a line for every reopen of <paramref name="searcher"/> (another process rebuilt or updated the index) and, when
    /// <paramref name="dense"/> is given, for every query embedder loaded for the rebuilt index's vectors.
    /// </summary>
    public static void Report(Bm25Searcher searcher, DenseSearcher? dense, TextWriter error)
    {
        searcher.Reopened += (_, e) => error.WriteLine(Reopened(e));
        if (dense is not null) dense.EncoderReloaded += (_, e) => error.WriteLine(EmbedderReloaded(e));
    }

    /// <summary>"index was updated (generation 3); reopened 'idx' (12 documents, was 10)." or "index was rebuilt; reopened ...".</summary>
    public static string Reopened(IndexReopenedEventArgs e) => e.Updated
        ? $"index was updated (generation {e.Manifest.Generation}); reopened '{e.IndexDir}' ({Words.Count(e.Manifest.DocumentCount, "document")}, was {e.PreviousDocumentCount:N0})."
        : $"index was rebuilt; reopened '{e.IndexDir}' ({Words.Count(e.Manifest.DocumentCount, "document")}, was {e.PreviousDocumentCount:N0}).";

    /// <summary>"query embedder reloaded for the rebuilt index's vectors: MODEL on onnxruntime int8 (was onnxruntime fp32)."</summary>
    public static string EmbedderReloaded(EmbedderReloadedEventArgs e) =>
        $"query embedder reloaded for the rebuilt index's vectors: {e.Encoder.ModelName} on {InferenceEngineSelection.Name(e.Encoder.Engine)} {InferenceEngineSelection.Name(e.Encoder.Precision)} "
        + $"(was {InferenceEngineSelection.Name(e.Previous.Engine)} {InferenceEngineSelection.Name(e.Previous.Precision)}).";
}
