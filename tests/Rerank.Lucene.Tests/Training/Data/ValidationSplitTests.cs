using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

public sealed class ValidationSplitTests
{
    private static TrainingGroup Group(string id) => new(id, "query " + id, [new TrainingDocument(id, "doc")], []);

    private static IReadOnlyList<TrainingGroup> Groups(int n) => Enumerable.Range(0, n).Select(i => Group($"q{i}")).ToArray();

    [Theory]
    [InlineData(10, 0.1, 1)]
    [InlineData(809, 0.1, 81)]
    [InlineData(25, 0.1, 3)] // 2.5 rounds away from zero
    [InlineData(5, 0.01, 1)] // at least one when fraction > 0
    [InlineData(2, 0.9, 1)] // never all
    [InlineData(10, 0, 0)]
    [InlineData(1, 0.5, 0)] // one query stays for training
    public void HoldOut_Fraction_DevCountAndNoOverlap(int queries, double fraction, int expectedDev)
    {
        var groups = Groups(queries);

        var split = ValidationSplit.HoldOut(groups, fraction, seed: 42);

        Assert.Equal(expectedDev, split.Dev.Count);
        Assert.Equal(queries - expectedDev, split.Train.Count);
        Assert.Empty(split.Train.Select(g => g.QueryId).Intersect(split.Dev.Select(g => g.QueryId)));
        Assert.Equal(groups.Select(g => g.QueryId).Order(), split.Train.Concat(split.Dev).Select(g => g.QueryId).Order());
    }

    [Fact]
    public void HoldOutJudgeable_TextPositives_HeldOutOnlyAmongQueriesWithAnIndexId()
    {
        // 12 triples: q0-q3 name their positive by index id, q4-q11 give it as text (DocId null), which no validation can find.
        var groups = Enumerable.Range(0, 12).Select(i => new TrainingGroup($"q{i}", $"query {i}",
            [new TrainingDocument(i < 4 ? $"d{i}" : null, "positive text")], [new TrainingDocument(null, "negative text")])).ToArray();

        var split = ValidationSplit.HoldOutJudgeable(groups, 0.25, seed: 42);

        // round(0.25 × 4 judgeable) = 1, one of q0-q3; the other 11 train (a plain hold-out would take round(0.25 × 12) = 3 of any).
        var dev = Assert.Single(split.Dev);
        Assert.Contains(dev.QueryId, new[] { "q0", "q1", "q2", "q3" });
        Assert.Equal(11, split.Train.Count);
        Assert.DoesNotContain(split.Train, g => g.QueryId == dev.QueryId);
    }

    [Fact]
    public void HoldOutJudgeable_NoPositiveWithAnIndexId_HoldsOutNothing()
    {
        var groups = Enumerable.Range(0, 10).Select(i => new TrainingGroup($"q{i}", $"query {i}", [new TrainingDocument(null, "text")], [])).ToArray();

        var split = ValidationSplit.HoldOutJudgeable(groups, 0.1, seed: 42);

        Assert.Empty(split.Dev);
        Assert.Equal(groups, split.Train);
    }

    [Fact]
    public void HoldOutJudgeable_EveryQueryJudgeable_SameSplitAsHoldOut()
    {
        var groups = Groups(37);

        var judgeable = ValidationSplit.HoldOutJudgeable(groups, 0.1, seed: 5);
        var plain = ValidationSplit.HoldOut(groups, 0.1, seed: 5);

        Assert.Equal(plain.Dev, judgeable.Dev);
        Assert.Equal(plain.Train, judgeable.Train);
    }

    [Fact]
    public void HoldOutDocuments_TitleAndSentenceOfADocument_FractionCountsDocumentsBothQueriesOnOneSide()
    {
        // --pseudo-queries both: 41 documents, the 20 titled ones give a title and a sentence (61 queries).
        var groups = Enumerable.Range(0, 41).SelectMany(i => i < 20
            ? new[] { new TrainingGroup($"pseudo-title:d{i}", $"title {i}", [new TrainingDocument($"d{i}", "text")], []), new TrainingGroup($"pseudo:d{i}", $"sentence {i}", [new TrainingDocument($"d{i}", "rest")], []) }
            : [new TrainingGroup($"pseudo:d{i}", $"sentence {i}", [new TrainingDocument($"d{i}", "rest")], [])]).ToArray();

        var split = ValidationSplit.HoldOutDocuments(groups, 0.1, seed: 42);

        var devDocuments = split.Dev.Select(g => g.Positives[0].DocId).Distinct().ToList();
        Assert.Equal(4, devDocuments.Count); // round(0.1 * 41) documents, not round(0.1 * 61) queries
        Assert.Equal(groups.Where(g => devDocuments.Contains(g.Positives[0].DocId)).Select(g => g.QueryId), split.Dev.Select(g => g.QueryId));
        Assert.Empty(split.Train.Select(g => g.Positives[0].DocId).Intersect(devDocuments));
        Assert.Equal(groups.Length, split.Train.Count + split.Dev.Count);
    }

    [Fact]
    public void HoldOutDocuments_OneQueryPerDocument_SameDevAsHoldOutByQuery()
    {
        // Sentences only (query id pseudo:ID): ids sort as the documents do, so the split of earlier runs is kept.
        var groups = Enumerable.Range(0, 50).Select(i => new TrainingGroup($"pseudo:d{i}", $"s {i}", [new TrainingDocument($"d{i}", "rest")], [])).ToArray();

        Assert.Equal(ValidationSplit.HoldOut(groups, 0.1, 3).Dev.Select(g => g.QueryId), ValidationSplit.HoldOutDocuments(groups, 0.1, 3).Dev.Select(g => g.QueryId));
    }

    [Fact]
    public void HoldOut_SameSeedAnyOrder_SameDevQueries()
    {
        var groups = Groups(50);

        var a = ValidationSplit.HoldOut(groups, 0.1, 7);
        var b = ValidationSplit.HoldOut(groups.Reverse().ToArray(), 0.1, 7);
        var c = ValidationSplit.HoldOut(groups, 0.1, 8);

        Assert.Equal(a.Dev.Select(g => g.QueryId).Order(), b.Dev.Select(g => g.QueryId).Order());
        Assert.NotEqual(a.Dev.Select(g => g.QueryId).Order(), c.Dev.Select(g => g.QueryId).Order());
    }

    [Fact]
    public void HoldOut_ManyGroupsPerQuery_KeepsQueryOnOneSide()
    {
        var groups = Enumerable.Range(0, 20).SelectMany(i => new[] { Group($"q{i}"), Group($"q{i}") }).ToArray();

        var split = ValidationSplit.HoldOut(groups, 0.2, 1);

        Assert.Equal(8, split.Dev.Count); // 4 queries × 2 groups
        Assert.Empty(split.Train.Select(g => g.QueryId).Intersect(split.Dev.Select(g => g.QueryId)));
    }

    [Fact]
    public void HoldOut_FractionOne_Throws()
    {
        var ex = Assert.Throws<InvalidInputException>(() => ValidationSplit.HoldOut(Groups(3), 1, 1));

        Assert.Equal("validation fraction 1 is outside [0, 1); use e.g. 0.1 to hold out 10% of the training queries, or 0 for none.", ex.Message);
    }

    [Fact]
    public void Explicit_Disjoint_KeepsBoth()
    {
        var split = ValidationSplit.Explicit([Group("a")], "train.tsv", [Group("b")], "dev.tsv");

        Assert.Equal(["a"], split.Train.Select(g => g.QueryId));
        Assert.Equal(["b"], split.Dev.Select(g => g.QueryId));
    }

    [Fact]
    public void Explicit_SameIdOtherText_DifferentQueriesOfPooledCollections()
    {
        // Pooled mined files from two collections both have a query "1"; the dev query "1" is the other one.
        TrainingGroup train = new("1", "what similarity laws must be obeyed", [new TrainingDocument("184", "doc")], []);
        TrainingGroup dev = new("1", "0-dimensional biomaterials show inductive properties", [new TrainingDocument("31715818", "doc")], []);

        var split = ValidationSplit.Explicit([train], "cranfield.jsonl", [dev], "scifact-dev.tsv");

        Assert.Equal([train], split.Train);
        Assert.Equal([dev], split.Dev);
    }

    [Fact]
    public void Explicit_SharedQuery_Throws()
    {
        var ex = Assert.Throws<InvalidInputException>(() =>
            ValidationSplit.Explicit([Group("a"), Group("b")], "train.tsv", [Group("c"), Group("b")], "dev.tsv"));

        Assert.Equal("'dev.tsv' shares 1 query id(s) with 'train.tsv' (first: 'b'); a query must be in one split only. Use judgments of different queries, or omit the dev file to hold out a fraction of the training queries.", ex.Message);
    }
}
