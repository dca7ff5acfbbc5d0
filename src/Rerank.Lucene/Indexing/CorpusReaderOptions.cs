namespace Rerank.Lucene.Indexing;

/// <summary>
/// Field names that <see cref="CorpusReader.ReadJsonl"/> takes from each JSON line.
/// The defaults are the BEIR <c>corpus.jsonl</c> names, so <c>new CorpusReaderOptions()</c>
/// reads BEIR corpora.
/// </summary>
/// <param name="IdField">The id field (default <c>_id</c>). Its value must be a string or a number.</param>
/// <param name="TitleField">The title field (default <c>title</c>); null when the corpus has no titles.
/// A line without this field, or with null, gets an empty title.</param>
/// <param name="TextField">The text field (default <c>text</c>). Its value must be a string or null.</param>
/// <param name="SkipEmpty">Leave out documents with neither title nor text instead of failing (default false:
/// an empty document is usually a conversion error worth seeing). Some test collections contain a few, e.g.
/// Cranfield's document 471.</param>
/// <param name="KeepFields">Which other fields of each line to keep (stored and filterable, <see cref="CorpusDocument.Fields"/>).
/// Null (the default): every other top-level field whose value is a string, number, boolean or an array of those; objects
/// (e.g. BEIR's <c>metadata</c>), nulls, empty arrays and arrays holding anything else are left out (counted, except nulls, by the
/// sequence <see cref="CorpusReader.ReadJsonl"/> returns, for search-host's summary). Empty: none. Named fields: only those, and a named field
/// whose value is an object is an error; a line without one of them simply lacks it.</param>
public sealed record CorpusReaderOptions(string IdField = "_id", string? TitleField = "title", string TextField = "text", bool SkipEmpty = false,
    IReadOnlyList<string>? KeepFields = null);
