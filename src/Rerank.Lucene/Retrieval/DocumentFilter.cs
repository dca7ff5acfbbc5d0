using System.Globalization;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Rerank.Lucene.Indexing;

namespace Rerank.Lucene.Retrieval;

/// <summary>How a <see cref="FieldCondition"/> compares a document's field with its value.</summary>
public enum FilterOperator
{
    /// <summary><c>=</c>: equal (a keyword's whole value, case-sensitive; a number; a date-time instant).</summary>
    Equal,

    /// <summary><c>&gt;</c> (numbers and dates).</summary>
    Greater,

    /// <summary><c>&gt;=</c> (numbers and dates).</summary>
    GreaterOrEqual,

    /// <summary><c>&lt;</c> (numbers and dates).</summary>
    Less,

    /// <summary><c>&lt;=</c> (numbers and dates).</summary>
    LessOrEqual,
}

/// <summary>One condition on a kept field: <c>lang=en</c>, <c>year&gt;=2020</c>, <c>published&lt;2021-06-01</c>.</summary>
/// <param name="Field">The kept field's name (<see cref="IndexManifest.KeptFields"/>).</param>
/// <param name="Operator">The comparison.</param>
/// <param name="Value">The value as typed; read as the field's type when the filter is applied.</param>
public sealed record FieldCondition(string Field, FilterOperator Operator, string Value)
{
    /// <summary>The condition as it can be typed, e.g. <c>year&gt;=2020</c>; a value that is empty, starts with an operator
    /// character or a quote, or has spaces at either end in double quotes (<c>lang=""</c>).</summary>
    public override string ToString() => Field + Symbol(Operator) + (NeedsQuotes(Value)
        ? System.Text.Json.JsonSerializer.Serialize(Value, new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
        : Value);

    private static bool NeedsQuotes(string value) =>
        value.Length == 0 || value[0] is '=' or '<' or '>' or '!' or '"' || char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]);

    internal static string Symbol(FilterOperator op) => op switch
    {
        FilterOperator.Greater => ">",
        FilterOperator.GreaterOrEqual => ">=",
        FilterOperator.Less => "<",
        FilterOperator.LessOrEqual => "<=",
        _ => "=",
    };
}

/// <summary>
/// Conditions on the kept fields of documents, all of which a document must meet (AND). A document with several values in a
/// field (a JSON array) meets a condition when any of them does; a document without the field meets none. Applied before the
/// top k is taken (<see cref="Bm25Searcher"/>, <see cref="DenseSearcher"/>, <see cref="HybridSearcher"/>, or any of them through
/// <see cref="Filtered"/>), so a filtered search still returns k hits when k documents match, and a reranker only ever sees
/// documents that pass.
/// </summary>
/// <example>
/// <code>
/// var filter = DocumentFilter.Parse(["lang=en", "year&gt;=2020"]);
/// var hits = bm25.Search("solar power", 10, filter: filter);
/// var reranker = new RerankingSearcher(DocumentFilter.Filtered(hybrid, filter), crossEncoder);
/// </code>
/// </example>
public sealed class DocumentFilter
{
    /// <summary>Creates a filter of <paramref name="conditions"/> (AND).</summary>
    public DocumentFilter(IEnumerable<FieldCondition> conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        Conditions = conditions.ToList();
    }

    /// <summary>The conditions, all of which must hold.</summary>
    public IReadOnlyList<FieldCondition> Conditions { get; }

    /// <summary>Parses conditions written <c>FIELD=VALUE</c>, <c>FIELD&gt;=VALUE</c>, <c>FIELD&gt;VALUE</c>, <c>FIELD&lt;=VALUE</c> or
    /// <c>FIELD&lt;VALUE</c> (the first operator in the text splits it; spaces around field and value are trimmed). A value in
    /// double quotes is read as a JSON string: <c>lang=""</c> (the empty keyword), <c>note="=x"</c> (a value starting with an
    /// operator character).</summary>
    /// <exception cref="InvalidInputException">A condition has no operator, an operator filters do not have (<c>==</c>,
    /// <c>!=</c>, <c>=&gt;</c>, <c>&lt;&gt;</c>, ...), no field name, no value, or a quoted value that is not one JSON string.</exception>
    public static DocumentFilter Parse(IEnumerable<string> conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        return new DocumentFilter(conditions.Select(ParseCondition));
    }

    /// <summary>Parses one condition; see <see cref="Parse"/>.</summary>
    /// <exception cref="InvalidInputException">No operator, no field name or no value.</exception>
    public static FieldCondition ParseCondition(string condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var at = condition.IndexOfAny(['=', '<', '>', '!']);
        if (at < 0)
            throw new InvalidInputException($"Filter '{condition}' has no comparison: write FIELD=VALUE, FIELD>=VALUE, FIELD>VALUE, FIELD<=VALUE or FIELD<VALUE (e.g. lang=en, year>=2020).");
        // The whole run of operator characters is the operator: "==" or "!=" is refused, never read as "=" and a value "=en".
        var end = at;
        while (end < condition.Length && condition[end] is '=' or '<' or '>' or '!') end++;
        var symbol = condition[at..end];
        var op = symbol switch
        {
            "=" => FilterOperator.Equal,
            ">" => FilterOperator.Greater,
            ">=" => FilterOperator.GreaterOrEqual,
            "<" => FilterOperator.Less,
            "<=" => FilterOperator.LessOrEqual,
            _ => throw new InvalidInputException(
                $"Filter '{condition}' uses the operator '{symbol}', which filters do not have. The supported ones are =, >, >=, <, <= (e.g. lang=en, year>=2020; "
                + "there is no == or !=). A value that itself starts with =, <, > or ! goes in double quotes: lang=\"=en\"."),
        };
        var field = condition[..at].Trim();
        var value = condition[end..].Trim();
        var quoted = value.StartsWith('"');
        if (quoted)
        {
            try
            {
                value = System.Text.Json.JsonSerializer.Deserialize<string>(value)!;
            }
            catch (System.Text.Json.JsonException)
            {
                throw new InvalidInputException(
                    $"Filter '{condition}': the value {value} starts with a double quote but is not one quoted string. Write it as a JSON string, e.g. lang=\"\" or note=\"=x\" (\\\" for a quote inside).");
            }
        }
        if (field.Length == 0 || (value.Length == 0 && !quoted))
            throw new InvalidInputException($"Filter '{condition}' needs a field name before '{FieldCondition.Symbol(op)}' and a value after it (e.g. lang=en, year>=2020; lang=\"\" for the empty value).");
        return new FieldCondition(field, op, value);
    }

    /// <summary>
    /// <paramref name="retriever"/> (a <see cref="Bm25Searcher"/>, <see cref="DenseSearcher"/> or <see cref="HybridSearcher"/>) with
    /// this filter applied to every search; e.g. the first stage of a <see cref="Reranking.RerankingSearcher"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="retriever"/> is another kind of first stage.</exception>
    public static ICandidateRetriever Filtered(ICandidateRetriever retriever, DocumentFilter? filter)
    {
        ArgumentNullException.ThrowIfNull(retriever);
        if (filter is null || filter.Conditions.Count == 0) return retriever;
        return retriever switch
        {
            Bm25Searcher or DenseSearcher or HybridSearcher => new FilteredRetriever(retriever, filter),
            _ => throw new ArgumentException($"Filters apply to BM25, dense and hybrid first stages, not to {retriever.GetType().Name}.", nameof(retriever)),
        };
    }

    /// <summary>The filter as typed, conditions joined by " AND ".</summary>
    public override string ToString() => string.Join(" AND ", Conditions);

    /// <summary>
    /// The Lucene query of documents meeting every condition, checked against the index's kept fields.
    /// </summary>
    /// <exception cref="InvalidInputException">A field the index does not keep, an operator its type has no meaning for, or a value
    /// that is not of its type; the message names the field, its type and the fields there are.</exception>
    internal Query ToQuery(IndexManifest manifest, string indexDir)
    {
        var query = new BooleanQuery();
        foreach (var c in Conditions) query.Add(ConditionQuery(c, manifest, indexDir), Occur.MUST);
        return query;
    }

    private static Query ConditionQuery(FieldCondition c, IndexManifest manifest, string indexDir)
    {
        var fields = manifest.KeptFields;
        if (fields is null || !fields.TryGetValue(c.Field, out var type))
        {
            var known = fields is null || fields.Count == 0
                ? "it keeps no fields besides id, title and text (index a JSONL corpus with extra fields; `search-host stats` lists them)"
                : "its fields are " + string.Join(", ", fields.Select(f => $"{f.Key} ({KeptFieldSchema.Name(f.Value)})"));
            throw new InvalidInputException($"Filter '{c}' names the field '{c.Field}', which index '{indexDir}' does not have: {known}.", indexDir);
        }
        var name = IndexFields.Filter(c.Field);
        switch (type)
        {
            case KeptFieldType.Keyword:
                if (c.Operator != FilterOperator.Equal)
                    throw new InvalidInputException($"Filter '{c}': '{c.Field}' is a keyword field, matched by its whole value; write {c.Field}=VALUE.", indexDir);
                return new TermQuery(new Term(name, c.Value));
            case KeptFieldType.Number:
                if (!double.TryParse(c.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
                    throw new InvalidInputException($"Filter '{c}': '{c.Field}' is a number field, and '{c.Value}' is not a number. Write e.g. {c.Field}{FieldCondition.Symbol(c.Operator)}2020 or 9.5.", indexDir);
                var (lo, hi, loIn, hiIn) = Bounds(c.Operator, number);
                return NumericRangeQuery.NewDoubleRange(name, lo, hi, loIn, hiIn);
            default:
                if (!KeptFieldSchema.TryParseDate(c.Value, out var millis, out var finer))
                    throw new InvalidInputException($"Filter '{c}': '{c.Field}' is a date field, and '{c.Value}' is not an ISO 8601 date. Write e.g. {c.Field}{FieldCondition.Symbol(c.Operator)}2021-03-04 or 2021-03-04T10:00:00Z.", indexDir);
                // Dates are indexed to the millisecond: a finer value would be compared as if cut off, matching documents it should not.
                if (finer)
                {
                    throw new InvalidInputException(
                        $"Filter '{c}': '{c.Field}' is a date field, indexed to the millisecond, and '{c.Value}' is more precise than that. "
                        + $"Give at most 3 digits after the seconds' decimal point (e.g. {c.Field}{FieldCondition.Symbol(c.Operator)}{DateTimeOffset.FromUnixTimeMilliseconds(millis).UtcDateTime:yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff}Z).", indexDir);
                }
                var (from, to, fromIn, toIn) = Bounds(c.Operator, millis);
                return NumericRangeQuery.NewInt64Range(name, from, to, fromIn, toIn);
        }
    }

    private static (T? Lo, T? Hi, bool LoIn, bool HiIn) Bounds<T>(FilterOperator op, T value) where T : struct => op switch
    {
        FilterOperator.Greater => (value, null, false, true),
        FilterOperator.GreaterOrEqual => (value, null, true, true),
        FilterOperator.Less => (null, value, true, false),
        FilterOperator.LessOrEqual => (null, value, true, true),
        _ => (value, value, true, true),
    };

    /// <summary>A first stage with a filter bound to it.</summary>
    private sealed class FilteredRetriever(ICandidateRetriever inner, DocumentFilter filter) : ICandidateRetriever
    {
        public string Name => inner.Name;

        public IReadOnlyList<SearchHit> Search(string query, int k) => inner switch
        {
            Bm25Searcher bm25 => bm25.Search(query, k, filter: filter),
            DenseSearcher dense => dense.Search(query, k, filter),
            _ => ((HybridSearcher)inner).Search(query, k, filter),
        };

        public IReadOnlyList<RankedDocument> Rank(string query, int k) => inner switch
        {
            Bm25Searcher bm25 => bm25.Rank(query, k, filter: filter),
            DenseSearcher dense => dense.Rank(query, k, filter),
            _ => ((HybridSearcher)inner).Rank(query, k, filter),
        };
    }
}
