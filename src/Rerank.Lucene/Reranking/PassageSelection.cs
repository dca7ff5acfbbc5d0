using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;

namespace Rerank.Lucene.Reranking;

/// <summary>
/// Picks the passages of each document that the cross-encoder reads when <see cref="PassageOptions.Select"/> is set: those
/// that match the query best by BM25, computed over the passages of one query's candidates alone (so it needs no index and
/// gives the same choice for the same candidates wherever they come from).
/// </summary>
/// <remarks>
/// Terms are analysed as an index analyses them (Lucene's English analyzer: standard tokens, lower case, 33 stop words,
/// Porter stems). For passage p and the query's distinct terms t:
/// score(p) = Σ_t idf(t) · tf(t, p) · (k1 + 1) / (tf(t, p) + k1 · (1 - b + b · |p| / avg|p|)), with
/// idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5)) (Lucene's BM25), N the passages of all candidates, df(t) how many of
/// them hold t, |p| its term count, k1 = 0.9 and b = 0.4 (Anserini's defaults, also an index's unless built with --k1/--b). Each document keeps its n
/// highest-scoring passages, equal scores going to the earlier passage, in their order in the document; a document with
/// n passages or fewer keeps them all. With no query term in a document, its first n passages are kept: then the
/// cross-encoder reads its beginning, as without passages.
/// </remarks>
internal static class PassageSelection
{
    private const double K1 = 0.9;
    private const double B = 0.4;

    /// <summary>Each document's chosen passages (a subset of <paramref name="passages"/>[i], in order).</summary>
    /// <param name="query">The query text.</param>
    /// <param name="passages">Every candidate document's passages, in document order.</param>
    /// <param name="n">Passages to keep per document (&gt;= 1).</param>
    public static List<IReadOnlyList<string>> Choose(string query, IReadOnlyList<IReadOnlyList<string>> passages, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (passages.All(p => p.Count <= n)) return [.. passages];
        using var analyzer = new EnglishAnalyzer(Indexing.IndexAnalyzer.Version);
        var queryTerms = Retrieval.BagOfWordsQuery.CountTerms(analyzer, Indexing.IndexFields.Contents, query).Select(t => t.Key).ToList();
        var counts = passages.Select(doc => doc.Select(p => Count(analyzer, p)).ToList()).ToList();
        var all = counts.SelectMany(c => c).ToList();
        var average = all.Count == 0 ? 1.0 : Math.Max(1.0, all.Average(c => c.Length));
        var idf = queryTerms.ToDictionary(t => t, t =>
        {
            var df = all.Count(c => c.Terms.ContainsKey(t));
            return Math.Log(1 + (all.Count - df + 0.5) / (df + 0.5));
        }, StringComparer.Ordinal);
        double Score((Dictionary<string, int> Terms, int Length) passage)
        {
            var score = 0.0;
            foreach (var t in queryTerms)
            {
                if (!passage.Terms.TryGetValue(t, out var tf)) continue;
                score += idf[t] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * passage.Length / average));
            }
            return score;
        }
        var chosen = new List<IReadOnlyList<string>>(passages.Count);
        for (var d = 0; d < passages.Count; d++)
        {
            if (passages[d].Count <= n)
            {
                chosen.Add(passages[d]);
                continue;
            }
            var keep = counts[d].Select((c, i) => (Index: i, Score: Score(c)))
                .OrderByDescending(p => p.Score).ThenBy(p => p.Index).Take(n)
                .Select(p => p.Index).Order().ToList();
            chosen.Add(keep.Select(i => passages[d][i]).ToList());
        }
        return chosen;
    }

    private static (Dictionary<string, int> Terms, int Length) Count(Analyzer analyzer, string text)
    {
        var terms = Retrieval.BagOfWordsQuery.CountTerms(analyzer, Indexing.IndexFields.Contents, text).ToDictionary(StringComparer.Ordinal);
        return (terms, terms.Values.Sum());
    }
}
