namespace Rerank.Lucene;

/// <summary>
/// The one rule that orders ranked documents everywhere in this library: the BM25 searcher, the
/// reranker, the Lucene rescorer, the TREC run writer and reader, and so the evaluator.
/// Higher score first; equal scores by document id DESCENDING, comparing the ids' UTF-8 bytes
/// (C's <c>strcmp</c>). That is trec_eval's rule: it ignores the rank column of a run file, sorts
/// by score and breaks ties with <c>strcmp(docno2, docno1)</c> (<c>form_res_rels.c</c>,
/// <c>comp_sim_docno</c>, trec_eval 10.0). Because we rank the same way, the order we evaluate is
/// exactly the order trec_eval reads from a run file we write.
/// </summary>
/// <example>Scores {a: 1.5, b: 1.5, c: 2.0} rank as c, b, a.</example>
public static class RankingOrder
{
    /// <summary>
    /// Negative when (<paramref name="scoreX"/>, <paramref name="idX"/>) ranks before
    /// (<paramref name="scoreY"/>, <paramref name="idY"/>), positive when after, 0 for the same entry.
    /// </summary>
    public static int Compare(double scoreX, string idX, double scoreY, string idY)
    {
        var byScore = scoreY.CompareTo(scoreX);
        return byScore != 0 ? byScore : CompareTied(idX, idY);
    }

    /// <summary>Between two documents of equal score: negative when <paramref name="idX"/> ranks first,
    /// i.e. when its UTF-8 bytes sort after <paramref name="idY"/>'s.</summary>
    public static int CompareTied(string idX, string idY) => CompareUtf8(idY, idX);

    /// <summary>A comparer of document ids for a tie, for <c>ThenBy</c> after ordering by score descending.</summary>
    public static IComparer<string> TieBreak { get; } = Comparer<string>.Create(CompareTied);

    /// <summary>Byte order of the UTF-8 encodings (code point order); equals ordinal UTF-16 order unless a
    /// surrogate pair meets a character in U+E000..U+FFFF.</summary>
    private static int CompareUtf8(string x, string y)
    {
        var n = Math.Min(x.Length, y.Length);
        for (var i = 0; i < n; i++)
        {
            if (x[i] == y[i]) continue;
            if (char.IsSurrogate(x[i]) || char.IsSurrogate(y[i])) return CodePoint(x, i).CompareTo(CodePoint(y, i));
            return x[i].CompareTo(y[i]);
        }
        return x.Length.CompareTo(y.Length);
    }

    private static int CodePoint(string s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? char.ConvertToUtf32(s[i], s[i + 1]) : s[i];
}
