using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Indexing;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// <c>index --update</c> of real <c>search-host</c> processes with a corpus large enough to take many seconds: killed
/// (SIGKILL) or signalled mid-update, the index stays at its last commit and searchable; a second writer is refused.
/// </summary>
public sealed class UpdateSignalTests(LargeCorpusFixture large) : IClassFixture<LargeCorpusFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-update-signal");

    public void Dispose() => _temp.Dispose();

    private const string Query = "why do bridges sway in the wind";

    private static (string Id, float Score)[] Top(string index)
    {
        using var searcher = Bm25Searcher.Open(index);
        return searcher.Search(Query, 10).Select(h => (h.DocId, h.Score)).ToArray();
    }

    private string[] Entries() => Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    /// <summary>The sample index after one committed update (generation 1), so "the last commit" is an update's.</summary>
    private string UpdatedSample()
    {
        var index = _temp.Combine("idx");
        IndexBuilder.Build(CorpusReader.ReadJsonl(SampleCorpus.Corpus), index, new IndexOptions());
        IndexUpdater.Update(index, [.. IndexUpdaterTests.Added, IndexUpdaterTests.Replacement], [IndexUpdaterTests.DeletedId], new IndexUpdateOptions());
        return index;
    }

    /// <summary>Waits until the update's writer is open in its temporary folder: the copy is done and documents are going in.</summary>
    private Task WaitForWriter(ChildProcess child) => child.WaitUntil(
        () => Directory.GetDirectories(_temp.Path, ".idx.updating-*").Any(d => File.Exists(Path.Combine(d, "write.lock"))), "the update's open writer");

    [Fact]
    public async Task Update_KilledMidUpdate_IndexStaysAtItsLastCommitAndSearchable_NextWriterCleansUp()
    {
        var index = UpdatedSample();
        var before = Top(index);
        var manifestBefore = File.ReadAllText(Path.Combine(index, IndexManifest.FileName));
        using (var killed = ChildProcess.SearchHost("index", "--corpus", large.Corpus, "--index", index, "--update"))
        {
            await WaitForWriter(killed);
            killed.Dispose(); // SIGKILL: no clean-up at all
        }
        Assert.Single(Directory.GetDirectories(_temp.Path, ".idx.updating-*"));

        Assert.Equal(before, Top(index));
        Assert.Equal(manifestBefore, File.ReadAllText(Path.Combine(index, IndexManifest.FileName)));
        using (var searcher = Bm25Searcher.Open(index))
        {
            Assert.Equal(SampleCorpus.DocumentCount + 2, searcher.DocumentCount);
            Assert.Null(searcher.GetDocument("g0"));
            Assert.Equal(IndexUpdaterTests.Replacement, searcher.GetDocument("sci-02"));
        }

        var next = await CliInvocation.SearchHost("delete", "--index", index, "new-1");

        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal($"Deleted 1 document from {index}; now 42 documents (generation 2).\n", next.Output);
        Assert.Equal(["idx"], Entries());
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Update_SignalledMidUpdate_Exits130SayingTheIndexIsUntouched(string signal)
    {
        var index = UpdatedSample();
        var before = Top(index);
        using var child = ChildProcess.SearchHost("index", "--corpus", large.Corpus, "--index", index, "--update");
        await WaitForWriter(child);

        child.Signal(signal);
        var code = await child.WaitForExit();

        Assert.True(code == 130, $"exit {code}\n{child}");
        Assert.EndsWith($"cancelled: the index '{index}' is untouched (generation 1, 43 documents) and searches as before; the partial update was removed.\n", child.Error);
        Assert.DoesNotContain("   at ", child.Error);
        Assert.Equal("", child.Output);
        Assert.Equal(before, Top(index));
        Assert.Equal(["idx"], Entries());
    }

    [Fact]
    public async Task Delete_WhileAnUpdateRuns_ExitsTwoNamingTheWriter()
    {
        var index = UpdatedSample();
        using var first = ChildProcess.SearchHost("index", "--corpus", large.Corpus, "--index", index, "--update");
        await WaitForWriter(first);

        var second = await CliInvocation.SearchHost("delete", "--index", index, "sci-03");

        Assert.Equal(2, second.ExitCode);
        Assert.Equal($"error: Index '{index}' is being written by another process (pid {first.Id}); only one build or update of an index can run at a time. " +
            "Wait for it to finish (or stop it), then run again.\n", second.Error);
        first.Signal("TERM");
        Assert.Equal(130, await first.WaitForExit());
        using var searcher = Bm25Searcher.Open(index);
        Assert.NotNull(searcher.GetDocument("sci-03"));
        Assert.Equal(["idx"], Entries());
    }
}
