using Rerank.Lucene.Evaluation;

namespace Rerank.Lucene.Tests.Evaluation;

public sealed class TrecRunReaderTests
{
    [Fact]
    public void Read_UnorderedLines_OrdersByScoreThenDocIdIgnoringRankColumn()
    {
        // Ranks in the file are deliberately wrong; the reader ranks by score (desc), then doc id.
        var path = EvalFiles.Text("run.txt",
            "q2 Q0 b 1 1.5 t\n" +
            "q1 Q0 x 9 0.25 t\n" +
            "\n" +
            "q1\tQ0\ty\t1\t3e0\tt\n" +
            "q2 Q0 a 2 1.500 t\n" +
            "q1 Q0 w 5 -2 t\r\n");

        var run = TrecRunReader.Read(path);

        Assert.Equal(["q2", "q1"], run.Keys);
        Assert.Equal(["b", "a"], run["q2"]);      // 1.5 = 1.500: tie, b > a ranks first (trec_eval's rule)
        Assert.Equal(["y", "x", "w"], run["q1"]); // 3 > 0.25 > -2
    }

    [Fact]
    public void Read_FiveColumns_ThrowsWithLineText()
    {
        var path = EvalFiles.Text("run.txt", "q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 1.0\n");

        var e = Assert.Throws<InvalidInputException>(() => TrecRunReader.Read(path));

        Assert.Equal(
            $"Run file '{path}', line 2: expected 6 columns (qid Q0 docid rank score tag), found 5: " +
            "'q1 Q0 d2 2 1.0'. Write one result per line, columns separated by spaces or tabs, ids and tag without spaces.",
            e.Message);
        Assert.Equal(2, e.Line);
        Assert.Equal(path, e.Path);
    }

    [Theory]
    [InlineData("high")]
    [InlineData("1,5")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void Read_NonNumericScore_Throws(string score)
    {
        var path = EvalFiles.Text("run.txt", $"q1 Q0 d1 1 {score} t\n");

        var e = Assert.Throws<InvalidInputException>(() => TrecRunReader.Read(path));

        Assert.Equal(
            $"Run file '{path}', line 1: expected a number in column 5 (score), found '{score}': " +
            $"'q1 Q0 d1 1 {score} t'. Write the score as a decimal number with a dot, such as 12.345678.",
            e.Message);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void Read_DuplicateDocumentForQuery_ThrowsNamingBothLines()
    {
        var path = EvalFiles.Text("run.txt", "q1 Q0 d1 1 2 t\nq2 Q0 d1 1 2 t\nq1 Q0 d1 2 1 t\n");

        var e = Assert.Throws<InvalidInputException>(() => TrecRunReader.Read(path));

        Assert.Equal(
            $"Run file '{path}', line 3: expected each document once per query, found document \"d1\" for query " +
            "\"q1\" again (first on line 1). Keep one of lines 1 and 3.",
            e.Message);
    }

    [Fact]
    public void Read_MissingFile_ThrowsNamingPath()
    {
        var path = EvalFiles.Missing("run.txt");

        var e = Assert.Throws<InvalidInputException>(() => TrecRunReader.Read(path));

        Assert.Equal(
            $"Run file '{path}' does not exist; expected a TREC run file with lines 'qid Q0 docid rank score tag'. Check the path.",
            e.Message);
    }

    [Fact]
    public void Read_EmptyFile_ThrowsNoResults()
    {
        var path = EvalFiles.Text("run.txt", "");

        var e = Assert.Throws<InvalidInputException>(() => TrecRunReader.Read(path));

        Assert.Equal(
            $"Run file '{path}' has no results; expected a TREC run file with lines 'qid Q0 docid rank score tag'.",
            e.Message);
    }
}
