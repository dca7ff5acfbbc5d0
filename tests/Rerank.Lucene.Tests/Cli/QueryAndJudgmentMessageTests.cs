using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// Messages that say what to do: a query over Lucene's clause limit gets its term count and the limit (never the
/// query echoed back); a qrels header other than BEIR's is named as such, with the header that is recognised.
/// </summary>
public sealed class QueryAndJudgmentMessageTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-messages");

    public void Dispose() => _temp.Dispose();

    /// <summary>1,500 distinct made-up words (11 KB), then "vaccine".</summary>
    private static string LongQuery(int words = 1500) =>
        string.Join(' ', Enumerable.Range(0, words).Select(i => $"term{i:D4}")) + " vaccine";

    [Fact]
    public async Task Search_LuceneSyntaxOverClauseLimit_ExitsTwoWithTermCountAndLimitNotTheQuery()
    {
        var query = LongQuery();

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--no-rerank", "--lucene-syntax", query);

        UnknownOptionTests.AssertBadInput(result,
            $"error: The query has 1,501 terms after analysis ({query.Length:N0} characters); with --lucene-syntax each term is a clause of one boolean query, " +
            "and Lucene allows at most 1,024. Shorten the query to 1,024 terms or fewer, group terms in parentheses (each group counts once), " +
            "or drop --lucene-syntax: a plain query has no such limit.");
        Assert.DoesNotContain("term0500", result.Error);
    }

    [Fact]
    public async Task Search_BagOfWordsWithTwentyThousandWords_Works()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--json", "--top", "1", LongQuery(20_000));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("sci-03", SearchCommandTests.ParseJsonLine(result.Output).Hits.Single().Id);
    }

    [Fact]
    public async Task Search_LuceneSyntaxErrorInLongQuery_QuotesAnExcerptOnly()
    {
        var query = LongQuery(500) + " AND (";

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--no-rerank", "--lucene-syntax", query);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: Cannot parse 'term0000 term0001 ", result.Error);
        Assert.Contains("...' as Lucene query syntax: unexpected end of query at column", result.Error);
        Assert.True(result.Error.Length < 400, result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Theory]
    [InlineData("qid\tcid\tscore")]
    [InlineData("query_id doc_id relevance")]
    [InlineData("qid iter docno rel")]
    public async Task Eval_QrelsWithUnrecognisedHeader_ExitsTwoNamingTheRecognisedHeader(string header)
    {
        var qrels = _temp.WriteFile("qrels.tsv", header, "q4\tsci-03\t1");
        var run = _temp.Combine("bm25.run");

        var result = await CliInvocation.SearchHost("eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", qrels, "--run", run);

        UnknownOptionTests.AssertBadInput(result,
            $"error: Qrels file '{qrels}', line 1: '{header}' looks like a header, but the only header recognised is BEIR's " +
            "'query-id<TAB>corpus-id<TAB>score'. Replace that line with it, or delete the line (TREC qrels have no header).");
        Assert.False(File.Exists(run));
    }

    [Fact]
    public async Task Eval_QrelsWithBeirHeader_IsRead()
    {
        var qrels = _temp.WriteFile("qrels.tsv", "query-id\tcorpus-id\tscore", "q4\tsci-03\t1");

        var result = await CliInvocation.SearchHost("eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", qrels, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(1, RunFiles.ParseEvalJson(result.Output, "bm25").Queries);
    }

    [Fact]
    public async Task Eval_QrelsFirstLineWithFractionalRelevance_IsNotTakenForAHeader()
    {
        var qrels = _temp.WriteFile("qrels.tsv", "q4\tsci-03\t0.5");

        var result = await CliInvocation.SearchHost("eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", qrels);

        UnknownOptionTests.AssertBadInput(result,
            $"error: Qrels file '{qrels}', line 1: expected an integer relevance in column 3, found '0.5': 'q4\tsci-03\t0.5'. " +
            "Write the relevance as a whole number (0 = not relevant, 1 or more = relevant).");
    }
}
