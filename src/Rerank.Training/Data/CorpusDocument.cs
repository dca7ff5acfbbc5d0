namespace Rerank.Training.Data;

/// <summary>A document as stored in the index: id, title (may be empty) and body text.</summary>
/// <param name="DocId">The document's id in the index.</param>
/// <param name="Title">The title, or an empty string when the corpus has none.</param>
/// <param name="Text">The body text.</param>
public sealed record CorpusDocument(string DocId, string Title, string Text)
{
    /// <summary>This document as the cross-encoder reads it (<see cref="DocumentText.Join"/>).</summary>
    public TrainingDocument ToTrainingDocument() => new(DocId, DocumentText.Join(Title, Text));
}
