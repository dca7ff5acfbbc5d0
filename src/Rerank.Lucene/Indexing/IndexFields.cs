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

    /// <summary>The longest single term Lucene indexes, in UTF-8 bytes (<c>IndexWriter.MAX_TERM_LENGTH</c>): the limit of an id and of
    /// a keyword value, each indexed whole.</summary>
    public const int MaxTermBytes = 32766;

    /// <summary>The UTF-8 length of <paramref name="value"/> when it is longer than <see cref="MaxTermBytes"/>, else null.</summary>
    public static int? TooLongTerm(string value) =>
        value.Length * 3 <= MaxTermBytes ? null : System.Text.Encoding.UTF8.GetByteCount(value) is var bytes && bytes > MaxTermBytes ? bytes : null;

    /// <summary>The refusal of an id or keyword value of <paramref name="bytes"/> UTF-8 bytes; <paramref name="what"/> says which and where.</summary>
    public static string TooLongMessage(string what, int bytes, bool keyword) =>
        System.FormattableString.Invariant($"{what} is {bytes:N0} bytes long (UTF-8), but Lucene indexes {(keyword ? "a keyword field's value" : "an id")} as one term of at most {MaxTermBytes:N0} bytes. ")
        + (keyword ? "Shorten the value, or leave the field out with --keep-fields (name the fields to keep)." : "Shorten the id.");

    /// <summary>The searchable fields of an index built in <paramref name="mode"/>.</summary>
    public static string[] Searchable(FieldsMode mode) =>
        mode == FieldsMode.Multifield ? [Title, Contents] : [Contents];
}
