namespace Rerank.Lucene.Indexing;

/// <summary>Lucene field names of a SearchRerank index.</summary>
internal static class IndexFields
{
    /// <summary>The document id: indexed as one untokenised term, stored, and kept as binary doc values.</summary>
    public const string Id = "id";

    /// <summary>The title: always stored; indexed (analysed) only in <see cref="FieldsMode.Multifield"/>.</summary>
    public const string Title = "title";

    /// <summary>The body text: stored only, never indexed.</summary>
    public const string Text = "text";

    /// <summary>The searchable body: title + text in <see cref="FieldsMode.Flat"/>, text only in multifield. Not stored.</summary>
    public const string Contents = "contents";

    /// <summary>The kept corpus fields of a document (<see cref="CorpusDocument.Fields"/>) as one stored JSON object; absent when it has none.</summary>
    public const string Kept = "fields";

    /// <summary>The indexed, filterable form of kept field <paramref name="name"/> (a string term, a double or a long of epoch milliseconds); not stored.</summary>
    public static string Filter(string name) => "f." + name;

    /// <summary>The searchable fields of an index built in <paramref name="mode"/>.</summary>
    public static string[] Searchable(FieldsMode mode) =>
        mode == FieldsMode.Multifield ? [Title, Contents] : [Contents];
}
