using System.Globalization;
using System.Text.Json;
using Lucene.Net.Documents;

namespace Rerank.Lucene.Indexing;

/// <summary>How a kept corpus field (<see cref="CorpusDocument.Fields"/>) is indexed for filtering; recorded per field in
/// <see cref="IndexManifest.KeptFields"/>.</summary>
public enum KeptFieldType
{
    /// <summary>Strings (and booleans, as "true"/"false") matched exactly, whole value, case-sensitive: <c>lang=en</c>.</summary>
    Keyword,

    /// <summary>JSON numbers, as 64-bit floating point: <c>year&gt;=2020</c>, <c>price&lt;9.5</c>, <c>year=2021</c>.</summary>
    Number,

    /// <summary>Strings in ISO 8601 form: a date <c>2021-03-04</c> (midnight UTC) or a date and time <c>2021-03-04T10:00:00Z</c>
    /// (no offset = UTC), compared as instants to the millisecond (finer digits of a stored value are cut off; a filter value with
    /// finer digits is refused): <c>published&gt;=2021-01-01</c>.</summary>
    Date,
}

/// <summary>
/// The types of the kept fields of one index, learnt from the documents as they are indexed: a field's first value decides
/// (a JSON number: <see cref="KeptFieldType.Number"/>; a string in ISO date form: <see cref="KeptFieldType.Date"/>; any other string
/// or a boolean: <see cref="KeptFieldType.Keyword"/>), and every later value must fit it.
/// </summary>
internal sealed class KeptFieldSchema
{
    private readonly Dictionary<string, KeptFieldType> _types;
    private readonly Dictionary<string, string> _decidedBy = new(StringComparer.Ordinal);
    private readonly HashSet<string>? _keep;

    /// <param name="existing">The types the index records (an update), or null (a build).</param>
    /// <param name="keep">The fields to keep (<see cref="IndexManifest.KeepFields"/>): null for all, empty for none; the other
    /// fields of a document are left out.</param>
    public KeptFieldSchema(IReadOnlyDictionary<string, KeptFieldType>? existing, IReadOnlyList<string>? keep)
    {
        _types = existing is null ? new(StringComparer.Ordinal) : new(existing, StringComparer.Ordinal);
        foreach (var name in _types.Keys) _decidedBy[name] = "the index's recorded fields";
        _keep = keep is null ? null : new HashSet<string>(keep, StringComparer.Ordinal);
    }

    /// <summary>The selection as recorded in the manifest: null (all) or the distinct names, sorted.</summary>
    public IReadOnlyList<string>? Keep => _keep?.Order(StringComparer.Ordinal).ToList();

    /// <summary>Refuses a kept field name that no document had (nor the index, for an update): most likely a typo.</summary>
    /// <param name="source">Where the documents came from, for the message.</param>
    public void CheckEveryKeptFieldOccurs(string source)
    {
        if (_keep is null) return;
        var missing = _keep.Where(n => !_types.ContainsKey(n)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count == 0) return;
        var found = _types.Count == 0 ? "none" : string.Join(", ", _types.Keys.Order(StringComparer.Ordinal));
        throw new InvalidInputException(
            $"--keep-fields names {string.Join(", ", missing.Select(n => $"'{n}'"))}, which no document of {source} has (as a string, number, boolean or array of those); "
            + $"the kept fields found are: {found}. Check the spelling (names are case-sensitive), or drop {(missing.Count == 1 ? "it" : "them")} from --keep-fields.");
    }

    /// <summary>The types so far, by field name; null when there are none.</summary>
    public IReadOnlyDictionary<string, KeptFieldType>? Types =>
        _types.Count == 0 ? null : new SortedDictionary<string, KeptFieldType>(_types, StringComparer.Ordinal);

    /// <summary>Adds the indexed (filterable) and stored forms of <paramref name="doc"/>'s kept fields to <paramref name="lucene"/>.</summary>
    /// <param name="lucene">The Lucene document being built.</param>
    /// <param name="doc">The corpus document.</param>
    /// <param name="where">The document for messages, e.g. "document 'd7' (document 7 of corpus.jsonl)".</param>
    public void AddTo(Document lucene, CorpusDocument doc, string where)
    {
        if (doc.Fields is not { Count: > 0 } all) return;
        var fields = _keep is null ? all : all.Where(f => _keep.Contains(f.Key)).ToDictionary(StringComparer.Ordinal);
        if (fields.Count == 0) return;
        foreach (var (name, value) in fields)
        {
            if (name.Length == 0)
                throw new InvalidInputException($"{where} has a field with an empty name. Rename it or leave it out with --keep-fields.");
            foreach (var item in value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToArray() : [value])
            {
                var (type, indexed) = Classify(name, item, where);
                if (indexed is string keyword && IndexFields.TooLongTerm(keyword) is { } bytes)
                    throw new InvalidInputException(IndexFields.TooLongMessage($"Field '{name}' of {where}", bytes, keyword: true));
                if (_types.TryGetValue(name, out var known))
                {
                    if (known == KeptFieldType.Keyword && type == KeptFieldType.Date) type = KeptFieldType.Keyword; // a date-like string in a keyword field is a keyword
                    if (known != type)
                    {
                        throw new InvalidInputException(
                            $"Field '{name}' of {where} is {Describe(type)} ({Excerpt(item)}), but {_decidedBy[name]} made '{name}' a {Name(known)} field. "
                            + $"Give '{name}' values of one type in every document, or leave it out with --keep-fields.");
                    }
                }
                else
                {
                    _types[name] = type;
                    _decidedBy[name] = where;
                }
                lucene.Add(type switch
                {
                    KeptFieldType.Number => new DoubleField(IndexFields.Filter(name), (double)indexed, Field.Store.NO),
                    KeptFieldType.Date => new Int64Field(IndexFields.Filter(name), (long)indexed, Field.Store.NO),
                    _ => new StringField(IndexFields.Filter(name), (string)indexed, Field.Store.NO),
                });
            }
        }
        lucene.Add(new StoredField(IndexFields.Kept, JsonSerializer.Serialize(fields)));
    }

    private static (KeptFieldType Type, object Indexed) Classify(string name, JsonElement item, string where)
    {
        switch (item.ValueKind)
        {
            case JsonValueKind.Number:
                var number = item.GetDouble();
                if (!double.IsFinite(number))
                    throw new InvalidInputException($"Field '{name}' of {where} is {item.GetRawText()}, beyond the range of a 64-bit number. Use a smaller value.");
                return (KeptFieldType.Number, number);
            case JsonValueKind.True or JsonValueKind.False:
                return (KeptFieldType.Keyword, item.ValueKind == JsonValueKind.True ? "true" : "false");
            default:
                var text = item.GetString()!;
                return TryParseDate(text, out var millis) ? (KeptFieldType.Date, millis) : (KeptFieldType.Keyword, text);
        }
    }

    private static readonly string[] DateFormats =
    [
        "yyyy'-'MM'-'dd", "yyyy'-'MM'-'dd'T'HH':'mm", "yyyy'-'MM'-'dd'T'HH':'mm':'ss", "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'FFFFFFF",
        "yyyy'-'MM'-'dd'T'HH':'mmK", "yyyy'-'MM'-'dd'T'HH':'mm':'ssK", "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'FFFFFFFK",
    ];

    /// <summary>Parses an ISO 8601 date or date-time (no offset: UTC) to milliseconds since 1970-01-01T00:00Z (the precision a
    /// date field is indexed with: finer digits are cut off).</summary>
    internal static bool TryParseDate(string text, out long millis) => TryParseDate(text, out millis, out _);

    /// <summary>As <see cref="TryParseDate(string, out long)"/>; <paramref name="finerThanMillisecond"/> says whether the text had
    /// digits below the millisecond that are not zero (cut off in <paramref name="millis"/>).</summary>
    internal static bool TryParseDate(string text, out long millis, out bool finerThanMillisecond)
    {
        if (DateTimeOffset.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            millis = value.ToUnixTimeMilliseconds();
            finerThanMillisecond = value.UtcTicks % TimeSpan.TicksPerMillisecond != 0;
            return true;
        }
        millis = 0;
        finerThanMillisecond = false;
        return false;
    }

    /// <summary>"keyword", "number" or "date".</summary>
    internal static string Name(KeptFieldType type) => type.ToString().ToLowerInvariant();

    private static string Describe(KeptFieldType type) => type switch
    {
        KeptFieldType.Number => "a number",
        KeptFieldType.Date => "a date",
        _ => "a keyword (a string that is not an ISO date, or a boolean)",
    };

    private static string Excerpt(JsonElement item) => Utf8LineReader.Excerpt(item.GetRawText());
}
