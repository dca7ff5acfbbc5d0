using Rerank.Lucene.Indexing;
using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

public sealed class PseudoQueryGeneratorTests
{
    private const string Body = "Aspirin blocks the enzyme that makes thromboxane. Platelets then stick together less. "
        + "That is why a small daily dose lowers the risk of clots. Large doses irritate the stomach.";

    private static readonly PseudoQueryOptions Options = new() { MinDocumentWords = 10 };

    private static readonly string[] BodySentences =
    [
        "Aspirin blocks the enzyme that makes thromboxane.", "Platelets then stick together less.",
        "That is why a small daily dose lowers the risk of clots.", "Large doses irritate the stomach.",
    ];

    [Fact]
    public void Generate_TitledDocumentByDefault_SentenceIsQueryAndRemovedTitleIsNotAQuery()
    {
        var store = new InMemoryDocumentStore([new CorpusDocument("d1", " Aspirin and clots ", Body)]);

        var (groups, report) = PseudoQueryGenerator.Generate(store, Options);

        var g = Assert.Single(groups);
        Assert.Equal("pseudo:d1", g.QueryId);
        Assert.Contains(g.Query, BodySentences);
        // The positive is what the reranker reads at search time (title, then text), without the query sentence.
        Assert.Equal("Aspirin and clots " + string.Join(" ", BodySentences.Where(s => s != g.Query)), Assert.Single(g.Positives).Text);
        Assert.DoesNotContain(g.Query, g.Positives[0].Text);
        Assert.Equal("d1", g.Positives[0].DocId);
        Assert.Equal(new PseudoQueryReport(1, 0, 1, 0, 0, 1), report);
    }

    [Fact]
    public void Generate_Titles_TitleIsQueryTextIsPositive_UntitledGivesASentence()
    {
        var store = new InMemoryDocumentStore([new CorpusDocument("d1", " Aspirin and clots ", Body), new CorpusDocument("d2", "", Body)]);

        var (groups, report) = PseudoQueryGenerator.Generate(store, Options with { Source = PseudoQuerySource.Titles });

        Assert.Equal(["pseudo-title:d1", "pseudo:d2"], groups.Select(g => g.QueryId));
        Assert.Equal("Aspirin and clots", groups[0].Query);
        Assert.Equal([new TrainingDocument("d1", Body)], groups[0].Positives);
        Assert.Contains(groups[1].Query, BodySentences);
        Assert.Equal(new PseudoQueryReport(2, 1, 1, 0, 0, 2), report);
    }

    [Fact]
    public void Generate_Both_TitleAndSentenceOfTheSameDocument()
    {
        var store = new InMemoryDocumentStore([new CorpusDocument("d1", "Aspirin and clots", Body)]);

        var (groups, report) = PseudoQueryGenerator.Generate(store, Options with { Source = PseudoQuerySource.Both });

        Assert.Equal(["pseudo-title:d1", "pseudo:d1"], groups.Select(g => g.QueryId));
        Assert.Equal(("Aspirin and clots", Body), (groups[0].Query, groups[0].Positives[0].Text));
        Assert.Contains(groups[1].Query, BodySentences);
        Assert.Equal("Aspirin and clots " + string.Join(" ", BodySentences.Where(s => s != groups[1].Query)), groups[1].Positives[0].Text);
        Assert.Equal(new PseudoQueryReport(1, 1, 1, 0, 0, 2), report);
    }

    [Fact]
    public void Generate_UntitledDocument_SentenceRemovedFromPositive()
    {
        var store = new InMemoryDocumentStore([new CorpusDocument("d1", "", Body)]);

        var (groups, report) = PseudoQueryGenerator.Generate(store, Options);

        var g = Assert.Single(groups);
        var sentences = new[]
        {
            "Aspirin blocks the enzyme that makes thromboxane.", "Platelets then stick together less.",
            "That is why a small daily dose lowers the risk of clots.", "Large doses irritate the stomach.",
        };
        Assert.Contains(g.Query, sentences);
        Assert.Equal(string.Join(" ", sentences.Where(s => s != g.Query)), Assert.Single(g.Positives).Text);
        Assert.Equal("d1", g.Positives[0].DocId);
        Assert.Equal(new PseudoQueryReport(1, 0, 1, 0, 0, 1), report);
    }

    [Fact]
    public void Generate_SameSeed_SameQueries_OtherSeedsVary()
    {
        var docs = Enumerable.Range(0, 20).Select(i => new CorpusDocument($"d{i}", "", Body)).ToArray();
        var store = new InMemoryDocumentStore(docs);

        var a = PseudoQueryGenerator.Generate(store, Options).Groups.Select(g => g.Query).ToArray();
        var b = PseudoQueryGenerator.Generate(store, Options).Groups.Select(g => g.Query).ToArray();

        Assert.Equal(a, b);
        Assert.True(a.Distinct().Count() > 1, "documents draw from their own streams, so 20 equal texts should not all give the same sentence");
    }

    [Fact]
    public void Generate_ShortAndUnsplittable_SkippedAndCounted()
    {
        var store = new InMemoryDocumentStore(
        [
            new CorpusDocument("short", "", "Too short to use."),
            new CorpusDocument("one", "", "one long sentence without any full stop that goes on and on and on and on"),
            new CorpusDocument("ok", "", Body),
            new CorpusDocument("titled-short", "Title", "Tiny."),
        ]);

        var (groups, report) = PseudoQueryGenerator.Generate(store, Options);

        Assert.Equal(["pseudo:ok"], groups.Select(g => g.QueryId));
        Assert.Equal(new PseudoQueryReport(Documents: 4, TitleQueries: 0, SpanQueries: 1, SkippedShort: 2, SkippedNoSpan: 1, Kept: 1), report);
    }

    [Fact]
    public void Generate_TitlesWithShortTexts_TitleQueriesKeptWordMinimumOnlyForSentences()
    {
        // "Tiny." has 1 word, under MinDocumentWords 10: no sentence query, but a title query needs only a title and a text.
        var store = new InMemoryDocumentStore(
        [
            new CorpusDocument("titled-short", "Title of it", "Tiny."),
            new CorpusDocument("untitled-short", "", "Too short to use."),
            new CorpusDocument("titled-empty", "Only a title", "  "),
        ]);

        var (titles, titleReport) = PseudoQueryGenerator.Generate(store, Options with { Source = PseudoQuerySource.Titles });
        var (both, bothReport) = PseudoQueryGenerator.Generate(store, Options with { Source = PseudoQuerySource.Both });

        Assert.Equal(["pseudo-title:titled-short"], titles.Select(g => g.QueryId));
        Assert.Equal(("Title of it", "Tiny."), (titles[0].Query, titles[0].Positives[0].Text));
        // untitled-short and titled-empty needed a sentence and are too short for one.
        Assert.Equal(new PseudoQueryReport(Documents: 3, TitleQueries: 1, SpanQueries: 0, SkippedShort: 2, SkippedNoSpan: 0, Kept: 1), titleReport);
        Assert.Equal(["pseudo-title:titled-short"], both.Select(g => g.QueryId));
        Assert.Equal(new PseudoQueryReport(Documents: 3, TitleQueries: 1, SpanQueries: 0, SkippedShort: 3, SkippedNoSpan: 0, Kept: 1), bothReport);
    }

    [Fact]
    public void Generate_MaxQueries_SeededSubsetInIndexOrder()
    {
        var docs = Enumerable.Range(0, 10).Select(i => new CorpusDocument($"d{i}", $"title {i}", Body)).ToArray();
        var store = new InMemoryDocumentStore(docs);
        var options = Options with { MaxQueries = 3 };

        var (groups, report) = PseudoQueryGenerator.Generate(store, options);
        var again = PseudoQueryGenerator.Generate(store, options).Groups;

        Assert.Equal(3, groups.Count);
        Assert.Equal(groups.Select(g => g.QueryId), again.Select(g => g.QueryId));
        Assert.Equal(groups.Select(g => int.Parse(g.QueryId["pseudo:d".Length..])).Order(), groups.Select(g => int.Parse(g.QueryId["pseudo:d".Length..])));
        Assert.Equal(new PseudoQueryReport(10, 0, 10, 0, 0, 3), report);
    }
}
