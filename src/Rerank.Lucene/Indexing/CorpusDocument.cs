namespace Rerank.Lucene.Indexing;

/// <summary>One document of a corpus: a unique id, an optional title and the body text.</summary>
/// <param name="Id">The document id, unique within the corpus (BEIR <c>_id</c>).</param>
/// <param name="Title">The title; empty when the document has none.</param>
/// <param name="Text">The body text; may be empty when the title is not.</param>
public sealed record CorpusDocument(string Id, string Title, string Text);
