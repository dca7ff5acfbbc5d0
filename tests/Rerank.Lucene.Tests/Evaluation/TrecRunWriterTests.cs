using Rerank.Lucene.Evaluation;

namespace Rerank.Lucene.Tests.Evaluation;

public sealed class TrecRunWriterTests
{
    private static (string Text, IReadOnlyList<string> Ranking) Write(string queryId, ScoredDocument[] hits, int decimals = 6)
    {
        var output = new StringWriter();
        var ranking = new TrecRunWriter(output, "tag", decimals).WriteQuery(queryId, hits);
        return (output.ToString(), ranking);
    }

    [Fact]
    public void WriteQuery_ScoresTieAfterRounding_TieBrokenByDocIdDescendingAsTrecEval()
    {
        // a (0.70000012) is above b (0.70000004) as computed, but both print 0.700000: a tie, so b comes
        // first (trec_eval: ties by docno descending).
        var (text, ranking) = Write("q1",
            [new("a", 0.70000012), new("c", 0.9), new("b", 0.70000004)]);

        Assert.Equal(
            "q1 Q0 c 1 0.900000 tag\n" +
            "q1 Q0 b 2 0.700000 tag\n" +
            "q1 Q0 a 3 0.700000 tag\n",
            text);
        Assert.Equal(["c", "b", "a"], ranking);
    }

    [Fact]
    public void WriteQuery_TwoDecimals_RanksByPrintedScore()
    {
        // z 1.2349 -> "1.23" and y 1.2251 -> "1.23" tie (y < z), although z > y as computed; x 0.5 -> "0.50".
        var (text, ranking) = Write("q9",
            [new("z", 1.2349), new("x", 0.5), new("y", 1.2251)], decimals: 2);

        Assert.Equal("q9 Q0 z 1 1.23 tag\nq9 Q0 y 2 1.23 tag\nq9 Q0 x 3 0.50 tag\n", text);
        Assert.Equal(["z", "y", "x"], ranking);
    }

    [Fact]
    public void WriteQuery_TinyNegativeScore_WritesUnsignedZero()
    {
        // -0.0000001 rounds to zero; it is written "0.000000", not "-0.000000", and ties with 0.0 (a < b).
        var (text, _) = Write("q1", [new("b", 0.0), new("a", -0.0000001), new("c", -1.5)]);

        Assert.Equal("q1 Q0 b 1 0.000000 tag\nq1 Q0 a 2 0.000000 tag\nq1 Q0 c 3 -1.500000 tag\n", text);
    }

    [Fact]
    public void WriteQuery_DocIdsCompareOrdinally()
    {
        // Ordinal order: "B" (0x42) < "a" (0x61) < "a10" < "a9".
        var (_, ranking) = Write("q1", [new("a9", 1), new("a", 1), new("B", 1), new("a10", 1)]);

        // Byte order B < a < a10 < a9, ranked descending as trec_eval's strcmp(docno2, docno1).
        Assert.Equal(["a9", "a10", "a", "B"], ranking);
    }

    [Fact]
    public void WriteQuery_DuplicateDocument_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Write("q1", [new("d1", 1), new("d1", 2)]));

        Assert.Equal("Document \"d1\" appears twice for query \"q1\"; each document may appear once. (Parameter 'hits')", e.Message);
    }

    [Fact]
    public void WriteQuery_NaNScore_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Write("q1", [new("d1", double.NaN)]));

        Assert.Equal("Document \"d1\" of query \"q1\" has score NaN; scores must be finite. (Parameter 'hits')", e.Message);
    }

    [Fact]
    public void WriteQuery_DocIdWithSpace_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Write("q1", [new("d 1", 1)]));

        Assert.Equal(
            "The document id \"d 1\" cannot be written to a run file: it must be non-empty and without whitespace or control characters. (Parameter 'hits')",
            e.Message);
    }

    [Fact]
    public void Constructor_TagWithSpace_Throws()
    {
        Assert.Throws<ArgumentException>(() => new TrecRunWriter(new StringWriter(), "my run"));
    }

    [Fact]
    public void WriteThenRead_RoundTrip_GivesTheWrittenRankings()
    {
        var path = Path.Combine(TestPaths.NewTempDir("eval"), "run.txt");
        IReadOnlyList<string> first, second;
        using (var output = new StreamWriter(path))
        {
            var writer = new TrecRunWriter(output, "bm25");
            first = writer.WriteQuery("q1", [new("d3", 2.5), new("d1", 7.25), new("d2", 2.4999999), new("d4", -3)]);
            second = writer.WriteQuery("q2", [new("e1", 1), new("e0", 1)]);
        }

        var run = TrecRunReader.Read(path);

        // d2 2.4999999 prints 2.500000 and ties d3 (d3 > d2 ranks first); e1 before e0 on their tie.
        Assert.Equal(["d1", "d3", "d2", "d4"], first);
        Assert.Equal(["e1", "e0"], second);
        Assert.Equal(["q1", "q2"], run.Keys);
        Assert.Equal(first, run["q1"]);
        Assert.Equal(second, run["q2"]);
        Assert.Equal(
            "q1 Q0 d1 1 7.250000 bm25\nq1 Q0 d3 2 2.500000 bm25\nq1 Q0 d2 3 2.500000 bm25\nq1 Q0 d4 4 -3.000000 bm25\n" +
            "q2 Q0 e1 1 1.000000 bm25\nq2 Q0 e0 2 1.000000 bm25\n",
            File.ReadAllText(path));
    }
}
