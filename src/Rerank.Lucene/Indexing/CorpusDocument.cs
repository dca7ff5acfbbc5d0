using System.Text.Json;

namespace Rerank.Lucene.Indexing;

/// <summary>One document of a corpus: a unique id, an optional title, the body text and optional other fields.</summary>
/// <param name="Id">The document id, unique within the corpus (BEIR <c>_id</c>).</param>
/// <param name="Title">The title; empty when the document has none.</param>
/// <param name="Text">The body text; may be empty when the title is not.</param>
/// <param name="Fields">Other fields kept from the corpus (<see cref="CorpusReaderOptions.KeepFields"/>), stored with the document
/// and filterable (<see cref="Retrieval.DocumentFilter"/>): each a JSON string, number, boolean or array of those. Null when none.
/// Record equality compares this dictionary by reference.</param>
public sealed record CorpusDocument(string Id, string Title, string Text, IReadOnlyDictionary<string, JsonElement>? Fields = null);
