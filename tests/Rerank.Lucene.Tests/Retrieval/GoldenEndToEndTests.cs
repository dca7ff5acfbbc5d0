using System.Globalization;
using Lucene.Net.Index;
using IndexOptions = Rerank.Lucene.Indexing.IndexOptions;
using Lucene.Net.Store;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Retrieval;

/// <summary>
/// Golden end-to-end check in the manner of Anserini's regressions: a four-document corpus, its exact
/// index statistics, and the exact TREC run lines of two queries, with scores worked out by hand from
/// Lucene 4.8's BM25Similarity (and re-derived by <see cref="ReferenceBm25"/>, written independently).
/// </summary>
public sealed class GoldenEndToEndTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDir("golden");

    public void Dispose() => System.IO.Directory.Delete(_root, recursive: true);

    // Analysed "contents" (title + text; stop words removed; Porter stems), hand-derived:
    //   d1 "Quick fox" + "The quick brown fox jumps over the lazy dog."  -> quick fox quick brown fox jump over lazi dog  (9)
    //   d2 ""          + "A lazy dog sleeps all day. The dog dreams."    -> lazi dog sleep all dai dog dream                 (7)
    //   d3 "Fox news"  + "Foxes are quick."                              -> fox new fox quick                                (4)
    //   d4 "Cats"      + "Cats watch the dog."                           -> cat cat watch dog                                (4)
    private static readonly CorpusDocument[] Corpus =
    [
        new("d1", "Quick fox", "The quick brown fox jumps over the lazy dog."),
        new("d2", "", "A lazy dog sleeps all day. The dog dreams."),
        new("d3", "Fox news", "Foxes are quick."),
        new("d4", "Cats", "Cats watch the dog."),
    ];

    private static readonly Dictionary<string, string[]> Analysed = new()
    {
        ["d1"] = ["quick", "fox", "quick", "brown", "fox", "jump", "over", "lazi", "dog"],
        ["d2"] = ["lazi", "dog", "sleep", "all", "dai", "dog", "dream"],
        ["d3"] = ["fox", "new", "fox", "quick"],
        ["d4"] = ["cat", "cat", "watch", "dog"],
    };

    // Worked numbers (k1 = 0.9, b = 0.4, N = 4, sumTotalTermFreq = 24, avgdl = 24 / 4 = 6):
    //   Norms are 1/sqrt(len) squeezed into one byte (SmallFloat 3.15) and decoded as 1/(f*f):
    //     len 9: 1/3 = 0.3333 -> byte 117 -> 0.3125 -> dl 10.24
    //     len 7: 0.3780       -> byte 118 -> 0.375  -> dl 7.1111
    //     len 4: 0.5          -> byte 120 -> 0.5    -> dl 4
    //   K(dl) = k1 * (1 - b + b * dl / avgdl): K(10.24) = 1.1544, K(7.1111) = 0.96667, K(4) = 0.78
    //   idf = ln(1 + (N - df + 0.5) / (df + 0.5)): df 1 -> ln 3.3333 = 1.20397; df 2 -> ln 2 = 0.69315; df 3 -> ln 1.42857 = 0.35667
    //   term score = boost * idf * tf * (k1 + 1) / (tf + K)
    // Query q1 "Lazy dogs, dog?" -> lazi (boost 1, df 2), dog (boost 2, df 3):
    //   d2: 0.69315*1.9*1/(1+0.96667) = 0.66965 + 2*0.35667*1.9*2/(2+0.96667) = 0.91373 -> 1.58338
    //   d1: 0.69315*1.9/(1+1.1544) = 0.61130 + 2*0.35667*1.9/(1+1.1544) = 0.62911        -> 1.24041
    //   d4: 2*0.35667*1.9/(1+0.78) = 0.76144                                            -> 0.76144
    // Query q2 "quick (fox) news!" -> quick (df 2), fox (df 2), new (df 1):
    //   d3: 0.69315*1.9/1.78 = 0.73988 + 0.69315*1.9*2/2.78 = 0.94747 + 1.20397*1.9/1.78 = 1.28514 -> 2.97248
    //   d1: 2 * 0.69315*1.9*2/(2+1.1544) = 2 * 0.83501                                          -> 1.67002
    private static readonly string[] ExpectedRun =
    [
        "q1 Q0 d2 1 1.5834 golden",
        "q1 Q0 d1 2 1.2404 golden",
        "q1 Q0 d4 3 0.7614 golden",
        "q2 Q0 d3 1 2.9725 golden",
        "q2 Q0 d1 2 1.6700 golden",
    ];

    private static readonly (string Id, string Text)[] Queries = [("q1", "Lazy dogs, dog?"), ("q2", "quick (fox) news!")];

    [Fact]
    public void BuildAndSearch_TinyCorpus_ExactStatisticsAndRunLines()
    {
        var dir = Path.Combine(_root, "idx");

        var manifest = IndexBuilder.Build(Corpus, dir, new IndexOptions());

        Assert.Equal(4, manifest.DocumentCount);
        Assert.Equal(new IndexFieldStatistics(UniqueTerms: 14, TotalTerms: 24, DocumentsWithField: 4), manifest.FieldStatistics["contents"]);
        using (var fs = FSDirectory.Open(dir))
        using (var reader = DirectoryReader.Open(fs))
        {
            Assert.Equal(manifest.FieldStatistics["contents"], IndexBuilder.FieldStatistics(reader, "contents"));
            var terms = MultiFields.GetTerms(reader, "contents").GetEnumerator();
            var indexed = new List<string>();
            while (terms.MoveNext()) indexed.Add(terms.Term.Utf8ToString());
            Assert.Equal(Analysed.Values.SelectMany(t => t).Distinct().Order(StringComparer.Ordinal), indexed);
        }

        using var searcher = Bm25Searcher.Open(dir);
        var run = Queries.SelectMany(q => searcher.Search(q.Text, 10)
            .Select(h => string.Create(CultureInfo.InvariantCulture, $"{q.Id} Q0 {h.DocId} {h.Rank} {h.Score:F4} golden"))).ToList();

        Assert.Equal(ExpectedRun, run);
    }

    [Fact]
    public void ReferenceBm25_HandAnalysedCorpus_ReproducesExpectedRun()
    {
        // Guards the hand-computed golden lines with a second, independent implementation.
        string[][] queryTerms = [["lazi", "dog", "dog"], ["quick", "fox", "new"]];
        var run = new List<string>();
        for (var q = 0; q < Queries.Length; q++)
        {
            var ranked = ReferenceBm25.Score(Analysed, queryTerms[q], 0.9f, 0.4f)
                .OrderByDescending(p => Math.Round(p.Value, 4)).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
            run.AddRange(ranked.Select((p, i) => string.Create(CultureInfo.InvariantCulture, $"{Queries[q].Id} Q0 {p.Key} {i + 1} {p.Value:F4} golden")));
        }

        Assert.Equal(ExpectedRun, run);
    }

    [Theory]
    [InlineData(9, 117, 10.24f)]
    [InlineData(7, 118, 7.111111f)]
    [InlineData(4, 120, 4f)]
    [InlineData(1, 124, 1f)]
    public void ReferenceBm25_NormEncoding_MatchesLucene(int length, int expectedByte, float expectedDl)
    {
        var b = ReferenceBm25.EncodeNorm(1 / MathF.Sqrt(length));

        Assert.Equal(expectedByte, b);
        Assert.Equal(global::Lucene.Net.Util.SmallSingle.SingleToByte315(1 / MathF.Sqrt(length)), (byte)b);
        Assert.Equal(expectedDl, ReferenceBm25.DecodedLength(b), 4);
    }
}

/// <summary>A small, independent BM25 following Lucene 4.8's BM25Similarity, including its lossy norms.</summary>
internal static class ReferenceBm25
{
    /// <summary>SmallFloat.floatToByte315: keep the top 11 bits of the float (sign, exponent, 2 mantissa bits), re-biased.</summary>
    public static int EncodeNorm(float f)
    {
        var bits = BitConverter.SingleToInt32Bits(f);
        var small = bits >> 21;
        const int zero = (63 - 15) << 3;
        if (small <= zero) return bits <= 0 ? 0 : 1;
        if (small >= zero + 0x100) return 255;
        return small - zero;
    }

    public static float DecodedLength(int b)
    {
        var f = b == 0 ? 0f : BitConverter.Int32BitsToSingle((b << 21) + ((63 - 15) << 24));
        return 1f / (f * f);
    }

    public static Dictionary<string, float> Score(Dictionary<string, string[]> docs, string[] query, float k1, float b)
    {
        var n = docs.Count;
        var avgdl = (float)(docs.Values.Sum(d => d.Length) / (double)n);
        var boosts = query.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        var scores = new Dictionary<string, float>();
        foreach (var (id, terms) in docs)
        {
            var dl = DecodedLength(EncodeNorm(1 / MathF.Sqrt(terms.Length)));
            var k = k1 * (1 - b + b * dl / avgdl);
            float sum = 0;
            var matched = false;
            foreach (var (term, boost) in boosts)
            {
                var tf = terms.Count(t => t == term);
                if (tf == 0) continue;
                matched = true;
                var df = docs.Values.Count(d => d.Contains(term));
                var idf = (float)Math.Log(1 + (n - df + 0.5) / (df + 0.5));
                sum += boost * idf * (k1 + 1) * tf / (tf + k);
            }
            if (matched) scores[id] = sum;
        }
        return scores;
    }
}
