using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Indexing;

/// <summary>One writer per index (<see cref="IndexWriteLock"/>) and the removal of killed builds' leftovers.</summary>
public sealed class IndexWriteLockTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempDir("write-lock");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string[] Entries() => Directory.GetFileSystemEntries(_root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void Acquire_Twice_SecondRefusedNamingThisProcessUntilTheFirstIsReleased()
    {
        var index = Path.Combine(_root, "idx");
        var first = IndexWriteLock.Acquire(index);
        Assert.Equal(Path.Combine(_root, ".idx.lock"), first.LockPath);
        Assert.Equal($"{Environment.ProcessId}\n", ReadShared(first.LockPath));

        var e = Assert.Throws<InvalidInputException>(() => IndexWriteLock.Acquire(index));
        Assert.Equal($"Index '{index}' is being written by another process (pid {Environment.ProcessId}); only one build or update of an index can run at a time. " +
            "Wait for it to finish (or stop it), then run again.", e.Message);

        first.Dispose();
        Assert.Empty(Entries());
        using var again = IndexWriteLock.Acquire(index);
        Assert.Equal([".idx.lock"], Entries());
    }

    [Fact]
    public void Acquire_LeftoverLockFileOfAKilledWriter_IsTakenOver()
    {
        var index = Path.Combine(_root, "idx");
        File.WriteAllText(Path.Combine(_root, ".idx.lock"), "999999\n");

        using (var taken = IndexWriteLock.Acquire(index))
        {
            Assert.Equal($"{Environment.ProcessId}\n", ReadShared(taken.LockPath));
        }

        Assert.Empty(Entries());
    }

    [Fact]
    public void Build_WhileAnotherWriterHoldsTheLock_RefusedAndLeavesNoBuildFolder()
    {
        var index = Path.Combine(_root, "idx");
        using var other = IndexWriteLock.Acquire(index);

        var e = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(IndexBuilderTests.Small, index, new IndexOptions()));

        Assert.StartsWith($"Index '{index}' is being written by another process (pid {Environment.ProcessId})", e.Message);
        Assert.Equal([".idx.lock"], Entries());
    }

    [Fact]
    public async Task Build_TwoAtOnceOnANewIndex_OneWinsTheOtherIsRefused()
    {
        var index = Path.Combine(_root, "idx");
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        // The first build blocks inside its document loop, holding the lock, until the second has tried.
        IEnumerable<CorpusDocument> Slow()
        {
            yield return IndexBuilderTests.Small[0];
            started.Set();
            release.Wait();
            yield return IndexBuilderTests.Small[1];
        }
        var first = Task.Run(() => IndexBuilder.Build(Slow(), index, new IndexOptions()));
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));

        var e = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(IndexBuilderTests.Small, index, new IndexOptions()));
        release.Set();
        var manifest = await first;

        Assert.Contains("is being written by another process", e.Message);
        Assert.Equal(2, manifest.DocumentCount);
        Assert.Equal(["idx"], Entries());
    }

    [Fact]
    public void Build_LeftoversOfKilledBuilds_RemovedAndNothingElse()
    {
        var index = Path.Combine(_root, "idx");
        var hex = new string('a', 32);
        var building = Directory.CreateDirectory(Path.Combine(_root, $".idx.building-{hex}")).FullName;
        File.WriteAllText(Path.Combine(building, "_0.cfs"), "half an index");
        var replaced = Directory.CreateDirectory(Path.Combine(_root, $".idx.replaced-{new string('0', 32)}")).FullName;
        // Not ours: another index's temporary folder, a near miss of the name, and a link to a user folder.
        Directory.CreateDirectory(Path.Combine(_root, $".other.building-{hex}"));
        Directory.CreateDirectory(Path.Combine(_root, ".idx.building-mine"));
        Directory.CreateDirectory(Path.Combine(_root, $".idx.building-{hex.ToUpperInvariant()}"));
        var user = Directory.CreateDirectory(Path.Combine(_root, "user-data")).FullName;
        File.WriteAllText(Path.Combine(user, "keep.txt"), "keep");
        Directory.CreateSymbolicLink(Path.Combine(_root, $".idx.building-{new string('b', 32)}"), user);

        IndexBuilder.Build(IndexBuilderTests.Small, index, new IndexOptions());

        Assert.False(Directory.Exists(building));
        Assert.False(Directory.Exists(replaced));
        Assert.Equal(
            [$".idx.building-{hex.ToUpperInvariant()}", $".idx.building-{new string('b', 32)}", ".idx.building-mine", $".other.building-{hex}", "idx", "user-data"],
            Entries());
        Assert.Equal("keep", File.ReadAllText(Path.Combine(user, "keep.txt")));
    }

    [Fact]
    public void Build_Cancelled_RemovesTemporaryFolderAndLock()
    {
        var index = Path.Combine(_root, "idx");
        IndexBuilder.Build(IndexBuilderTests.Small, index, new IndexOptions());
        using var cancel = new CancellationTokenSource();
        IEnumerable<CorpusDocument> CancelAfterOne()
        {
            yield return new CorpusDocument("x", "", "replacement");
            cancel.Cancel();
            yield return new CorpusDocument("y", "", "never indexed");
        }

        Assert.ThrowsAny<OperationCanceledException>(() => IndexBuilder.Build(CancelAfterOne(), index, new IndexOptions(Overwrite: true), ct: cancel.Token));

        Assert.Equal(["idx"], Entries());
        using var searcher = Bm25Searcher.Open(index);
        Assert.Equal(3, searcher.DocumentCount);
    }

    /// <summary>
    /// Reads the lock file from another process (cat), as a refused writer would: a second handle opened and
    /// closed in this process would end this process's record lock.
    /// </summary>
    private static string ReadShared(string path)
    {
        using var cat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("cat", [path]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var text = cat.StandardOutput.ReadToEnd();
        cat.WaitForExit();
        return text;
    }
}
