using Rerank.Lucene.Evaluation;

namespace Rerank.Lucene.Tests.Evaluation;

public sealed class QrelsReaderTests
{
    [Fact]
    public void Read_BeirTsvWithHeader_ReadsGradedJudgments()
    {
        var path = EvalFiles.Text("test.tsv",
            "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t2\nq2\td3\t0\nq1\td4\t0\n");

        var qrels = QrelsReader.Read(path);

        Assert.Equal(["q1", "q2"], qrels.QueryIds);
        Assert.Equal(new Dictionary<string, int> { ["d1"] = 1, ["d2"] = 2, ["d4"] = 0 }, qrels.Judgments("q1"));
        Assert.Equal(new Dictionary<string, int> { ["d3"] = 0 }, qrels.Judgments("q2"));
        // q1: d1 (1) and d2 (2) are relevant, d4 (0) is not; q2 has only a 0 judgment.
        Assert.Equal(2, qrels.RelevantCount("q1"));
        Assert.Equal(0, qrels.RelevantCount("q2"));
    }

    [Fact]
    public void Read_BeirTsvWithoutHeader_ReadsAllLines()
    {
        var path = EvalFiles.Text("test.tsv", "q1\td1\t1\r\n\r\nq2\td1\t3\r\n");

        var qrels = QrelsReader.Read(path);

        Assert.Equal(["q1", "q2"], qrels.QueryIds);
        Assert.Equal(3, qrels.Judgments("q2")["d1"]);
    }

    [Fact]
    public void Read_TrecFourColumns_IgnoresIterationColumn()
    {
        var path = EvalFiles.Text("qrels.txt", "101 0 doc-a 1\n101 0 doc-b 0\n102  Q0\tdoc-a 3\n101 7 doc-c -1\n");

        var qrels = QrelsReader.Read(path);

        Assert.Equal(["101", "102"], qrels.QueryIds);
        Assert.Equal(new Dictionary<string, int> { ["doc-a"] = 1, ["doc-b"] = 0, ["doc-c"] = -1 }, qrels.Judgments("101"));
        Assert.Equal(new Dictionary<string, int> { ["doc-a"] = 3 }, qrels.Judgments("102"));
        // Only doc-a (1) is relevant for 101; 0 and -1 are not.
        Assert.Equal(1, qrels.RelevantCount("101"));
    }

    [Fact]
    public void Judgments_UnknownQuery_IsEmptyWithNoRelevant()
    {
        var qrels = QrelsReader.Read(EvalFiles.Text("test.tsv", "q1\td1\t1\n"));

        Assert.Empty(qrels.Judgments("nope"));
        Assert.Equal(0, qrels.RelevantCount("nope"));
    }

    [Fact]
    public void Read_MissingFile_ThrowsNamingPath()
    {
        var path = EvalFiles.Missing("test.tsv");

        var e = Assert.Throws<InvalidInputException>(() => QrelsReader.Read(path));

        Assert.Equal(
            $"Qrels file '{path}' does not exist; expected BEIR TSV lines 'query-id<TAB>corpus-id<TAB>score' " +
            "or TREC lines 'qid iter docid rel'. Check the path.",
            e.Message);
        Assert.Equal(path, e.Path);
    }

    [Fact]
    public void Read_TwoColumns_ThrowsWithLineText()
    {
        var path = EvalFiles.Text("test.tsv", "query-id\tcorpus-id\tscore\nq1 d1\n");

        var e = Assert.Throws<InvalidInputException>(() => QrelsReader.Read(path));

        Assert.Equal(
            $"Qrels file '{path}', line 2: expected 3 columns (query-id corpus-id score) or 4 columns " +
            "(qid iter docid rel), found 1: 'q1 d1'. After the BEIR header 'query-id<TAB>corpus-id<TAB>score' columns are " +
            "separated by tabs: write one judgment per line, ids without spaces.",
            e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Read_LayoutChangesMidFile_Throws()
    {
        var path = EvalFiles.Text("test.tsv", "q1\td1\t1\nq1 0 d2 1\n");

        var e = Assert.Throws<InvalidInputException>(() => QrelsReader.Read(path));

        Assert.Equal(
            $"Qrels file '{path}', line 2: expected 3 columns (query-id corpus-id score, the layout of line 1), " +
            "found 4: 'q1 0 d2 1'. Use one layout for the whole file, ids without spaces.",
            e.Message);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("yes")]
    public void Read_NonIntegerScore_Throws(string score)
    {
        var path = EvalFiles.Text("test.tsv", $"q1 d1 1\nq1 d2 {score}\n");

        var e = Assert.Throws<InvalidInputException>(() => QrelsReader.Read(path));

        Assert.Equal(
            $"Qrels file '{path}', line 2: expected an integer relevance in column 3, found '{score}': " +
            $"'q1 d2 {score}'. Write the relevance as a whole number (0 = not relevant, 1 or more = relevant).",
            e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Read_HeaderNotOnFirstLine_IsAnError()
    {
        var path = EvalFiles.Text("test.tsv", "q1 d1 1\nquery-id corpus-id score\n");

        var e = Assert.Throws<InvalidInputException>(() => QrelsReader.Read(path));

        Assert.Equal(
            $"Qrels file '{path}', line 2: expected an integer relevance in column 3, found 'score': " +
            "'query-id corpus-id score'. Write the relevance as a whole number (0 = not relevant, 1 or more = relevant).",
            e.Message);
    }

    [Fact]
    public void Read_DuplicatePair_ThrowsNamingBothLines()
    {
        var path = EvalFiles.Text("test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t1\nq1\td1\t2\n");

        var e = Assert.Throws<InvalidInputException>(() => QrelsReader.Read(path));

        Assert.Equal(
            $"Qrels file '{path}', line 4: expected one judgment per (query, document), found query \"q1\" and " +
            "document \"d1\" judged again (first on line 2). Keep one of lines 2 and 4.",
            e.Message);
        Assert.Equal(4, e.Line);
    }

    [Fact]
    public void Read_HeaderOnly_ThrowsNoJudgments()
    {
        var path = EvalFiles.Text("test.tsv", "query-id\tcorpus-id\tscore\n");

        var e = Assert.Throws<InvalidInputException>(() => QrelsReader.Read(path));

        Assert.Equal(
            $"Qrels file '{path}' has no judgments; expected BEIR TSV lines 'query-id<TAB>corpus-id<TAB>score' " +
            "or TREC lines 'qid iter docid rel'.",
            e.Message);
    }

    [Fact]
    public void Read_BeirHeaderThenAnIdWithASpace_RefusedWithItsLineInsteadOfReadAsTrec()
    {
        // Split at whitespace, "q 1<TAB>a<TAB>1" has 4 columns and looked like a TREC line for query "q".
        var path = EvalFiles.Text("spaced.tsv", "query-id\tcorpus-id\tscore\nq 1\ta\t1\nq 2\tb\t1\n");

        var e = Assert.Throws<InvalidInputException>(() => QrelsReader.Read(path));

        Assert.Contains("line 2", e.Message);
        Assert.Contains("\"q 1\"", e.Message);
    }
}
