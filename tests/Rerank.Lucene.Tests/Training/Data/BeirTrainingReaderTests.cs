using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

public sealed class BeirTrainingReaderTests
{
    private static string Queries() => TrainingFiles.Write("queries.jsonl",
        """{"_id":"q1","text":"blood thinner"}""",
        """{"_id":"q2","text":"stay awake"}""",
        """{"_id":"q3","text":"unjudged"}""");

    [Fact]
    public void Read_QrelsWithHeaderAndZeroScores_GroupsOfPositivesOnly()
    {
        var qrels = TrainingFiles.Write("train.tsv",
            "query-id\tcorpus-id\tscore",
            "q2\td2\t1",
            "q1\td1\t2",
            "q1\td3\t0",
            "q1\td2\t1");

        var groups = BeirTrainingReader.Read(Queries(), qrels, TrainingFiles.Store());

        Assert.Equal(2, groups.Count);
        Assert.Equal(("q2", "stay awake"), (groups[0].QueryId, groups[0].Query));
        Assert.Equal([new TrainingDocument("d2", "Coffee Caffeine keeps you awake.")], groups[0].Positives);
        Assert.Equal(("q1", "blood thinner"), (groups[1].QueryId, groups[1].Query));
        Assert.Equal(["d1", "d2"], groups[1].Positives.Select(p => p.DocId));
        Assert.All(groups, g => Assert.Empty(g.Negatives));
    }

    [Fact]
    public void Read_QueryWithOnlyZeroScores_IsLeftOut()
    {
        var qrels = TrainingFiles.Write("train.tsv", "q1\td1\t1", "q2\td2\t0");

        var groups = BeirTrainingReader.Read(Queries(), qrels, TrainingFiles.Store());

        Assert.Equal(["q1"], groups.Select(g => g.QueryId));
    }

    [Fact]
    public void Read_UnknownCorpusId_NamesLineAndId()
    {
        var qrels = TrainingFiles.Write("train.tsv", "query-id\tcorpus-id\tscore", "q1\td1\t1", "q1\td77\t1");

        var ex = Assert.Throws<InvalidInputException>(() => BeirTrainingReader.Read(Queries(), qrels, TrainingFiles.Store()));

        Assert.Equal($"'{qrels}' line 3: corpus id 'd77' is not a document of the index; build the index from the corpus these judgments belong to, or pass --skip-missing-documents if the index left it out on purpose (e.g. --skip-empty).", ex.Message);
        Assert.Equal((qrels, 3), (ex.Path, ex.Line));
    }

    [Fact]
    public void Read_UnknownCorpusIdWithSkipList_SkipsItAndDropsQueriesLeftEmpty()
    {
        var qrels = TrainingFiles.Write("train.tsv", "query-id\tcorpus-id\tscore", "q1\td1\t1", "q1\td77\t1", "q2\td78\t1");
        var skipped = new List<string>();

        var groups = BeirTrainingReader.Read(Queries(), qrels, TrainingFiles.Store(), skipped);

        Assert.Equal(["q1"], groups.Select(g => g.QueryId));
        Assert.Equal(["d1"], groups[0].Positives.Select(p => p.DocId));
        Assert.Equal(["d77", "d78"], skipped);
    }

    [Fact]
    public void Read_UnknownQueryId_NamesLineAndQueriesFile()
    {
        var queries = Queries();
        var qrels = TrainingFiles.Write("train.tsv", "q1\td1\t1", "q8\td2\t1");

        var ex = Assert.Throws<InvalidInputException>(() => BeirTrainingReader.Read(queries, qrels, TrainingFiles.Store()));

        Assert.Equal($"'{qrels}' line 2: query id 'q8' is not in '{queries}'; check that both files come from the same dataset.", ex.Message);
    }

    [Fact]
    public void Read_NoPositiveJudgment_SaysTrainingNeedsRelevantDocuments()
    {
        var qrels = TrainingFiles.Write("train.tsv", "q1\td1\t0");

        var ex = Assert.Throws<InvalidInputException>(() => BeirTrainingReader.Read(Queries(), qrels, TrainingFiles.Store()));

        Assert.Equal($"'{qrels}' has no judgment with score > 0; training needs relevant documents (score 1 or more).", ex.Message);
    }
}
