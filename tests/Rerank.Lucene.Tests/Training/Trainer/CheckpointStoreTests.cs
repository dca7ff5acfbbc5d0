using Rerank.Training.Trainer;

namespace Rerank.Lucene.Tests.Training.Trainer;

public sealed class CheckpointStoreTests
{
    [Fact]
    public void Save_TwoVersionsKeepOne_LeavesOnlyNewest()
    {
        var store = new CheckpointStore(TestPaths.NewTempDir());
        store.Save("checkpoint", 5, d => File.WriteAllText(Path.Combine(d, "a"), "5"));
        var latest = store.Save("checkpoint", 10, d => File.WriteAllText(Path.Combine(d, "a"), "10"));
        Assert.Equal(Path.Combine(store.Root, "checkpoint-00000010"), latest);
        Assert.Equal([Path.Combine(store.Root, "checkpoint-00000010")], Directory.GetDirectories(store.Root));
    }

    [Fact]
    public void Save_WriterFails_PreviousVersionStaysAndNoTempRemains()
    {
        var store = new CheckpointStore(TestPaths.NewTempDir());
        store.Save("checkpoint", 5, d => File.WriteAllText(Path.Combine(d, "a"), "5"));
        Assert.Throws<IOException>(() => store.Save("checkpoint", 10, d =>
        {
            File.WriteAllText(Path.Combine(d, "a"), "half");
            throw new IOException("disk full");
        }));
        Assert.Equal(Path.Combine(store.Root, "checkpoint-00000005"), store.Latest("checkpoint"));
        Assert.Equal("5", File.ReadAllText(Path.Combine(store.Latest("checkpoint")!, "a")));
        Assert.Single(Directory.GetDirectories(store.Root));
    }

    [Fact]
    public void Latest_LeftoverTempOfKilledRun_IsIgnored()
    {
        var store = new CheckpointStore(TestPaths.NewTempDir());
        store.Save("checkpoint", 5, _ => { });
        Directory.CreateDirectory(Path.Combine(store.Root, ".tmp-checkpoint-00000010-abc"));
        Assert.Equal(Path.Combine(store.Root, "checkpoint-00000005"), store.Latest("checkpoint"));
        Assert.Null(store.Latest("best"));
    }

    [Fact]
    public void Save_SameStepTwice_ReplacesContents()
    {
        var store = new CheckpointStore(TestPaths.NewTempDir());
        store.Save("best", 3, d => File.WriteAllText(Path.Combine(d, "a"), "first"));
        store.Save("best", 3, d => File.WriteAllText(Path.Combine(d, "a"), "second"));
        Assert.Equal("second", File.ReadAllText(Path.Combine(store.Root, "best-00000003", "a")));
        Assert.Single(Directory.GetDirectories(store.Root));
    }
}
