using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Index;
using Lucene.Net.Search;

namespace Rerank.Lucene.Retrieval;

/// <summary>
/// Turns natural-language text into a Lucene query the way Anserini's BagOfWordsQueryGenerator does:
/// analyse the text, count each distinct term, and add one SHOULD clause per term whose boost is its count.
/// With several fields, each term is a SHOULD over all fields with equal weight (boost 1 each).
/// </summary>
internal static class BagOfWordsQuery
{
    /// <summary>The analysed terms of <paramref name="text"/> with their counts, in order of first appearance.</summary>
    public static List<KeyValuePair<string, int>> CountTerms(Analyzer analyzer, string field, string text)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        using (var stream = analyzer.GetTokenStream(field, text))
        {
            var term = stream.AddAttribute<ICharTermAttribute>();
            stream.Reset();
            while (stream.IncrementToken())
            {
                var t = term.ToString();
                if (counts.TryGetValue(t, out var n)) counts[t] = n + 1;
                else
                {
                    counts[t] = 1;
                    order.Add(t);
                }
            }
            stream.End();
        }
        return order.Select(t => new KeyValuePair<string, int>(t, counts[t])).ToList();
    }

    /// <summary>The query, or null when the text has no terms left after analysis (e.g. only stop words).</summary>
    public static Query? Build(Analyzer analyzer, IReadOnlyList<string> fields, string text)
    {
        var terms = CountTerms(analyzer, fields[^1], text);
        if (terms.Count == 0) return null;
        var clauses = new List<Query>(terms.Count);
        foreach (var (term, count) in terms)
        {
            if (fields.Count == 1)
            {
                clauses.Add(new TermQuery(new Term(fields[0], term)) { Boost = count });
                continue;
            }
            var perField = new BooleanQuery(disableCoord: true);
            foreach (var field in fields) perField.Add(new TermQuery(new Term(field, term)), Occur.SHOULD);
            perField.Boost = count;
            clauses.Add(perField);
        }
        return Combine(clauses);
    }

    /// <summary>
    /// The query of weighted terms (e.g. RM3's expansion): one SHOULD clause per term boosted by its weight, over all
    /// <paramref name="fields"/> as in <see cref="Build"/>. Null when there is no term.
    /// </summary>
    public static Query? Weighted(IReadOnlyList<string> fields, IReadOnlyList<KeyValuePair<string, double>> terms)
    {
        if (terms.Count == 0) return null;
        var clauses = new List<Query>(terms.Count);
        foreach (var (term, weight) in terms)
        {
            Query clause;
            if (fields.Count == 1) clause = new TermQuery(new Term(fields[0], term));
            else
            {
                var perField = new BooleanQuery(disableCoord: true);
                foreach (var field in fields) perField.Add(new TermQuery(new Term(field, term)), Occur.SHOULD);
                clause = perField;
            }
            clause.Boost = (float)weight;
            clauses.Add(clause);
        }
        return Combine(clauses);
    }

    /// <summary>
    /// ORs the clauses; above <see cref="BooleanQuery.MaxClauseCount"/> (1024) they are grouped into nested
    /// BooleanQueries, which leaves the score unchanged (BM25 has no coord, the sum is the same) and spares
    /// raising the process-wide limit. Long queries occur with documents used as pseudo-queries.
    /// </summary>
    private static Query Combine(List<Query> clauses)
    {
        var max = BooleanQuery.MaxClauseCount;
        while (clauses.Count > max)
        {
            clauses = clauses.Chunk(max).Select(chunk => (Query)Or(chunk)).ToList();
        }
        return Or(clauses);
    }

    private static BooleanQuery Or(IEnumerable<Query> clauses)
    {
        var q = new BooleanQuery(disableCoord: true);
        foreach (var c in clauses) q.Add(c, Occur.SHOULD);
        return q;
    }
}
