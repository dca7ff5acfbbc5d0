using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;

namespace Rerank.Training.Data;

/// <summary>A document as the trainer sees it: its index id when known, and its text.</summary>
/// <param name="DocId">The document's id in the index, or null for text given inline.</param>
/// <param name="Text">The text the cross-encoder reads (title and body joined as the rescorer joins them).</param>
public sealed record TrainingDocument(string? DocId, string Text)
{
    /// <summary>An index document as the cross-encoder reads it: its id, and title and text joined by <see cref="DocumentText.Join"/>.</summary>
    public static TrainingDocument FromIndex(CorpusDocument doc) => new(doc.Id, DocumentText.Join(doc.Title, doc.Text));
}
