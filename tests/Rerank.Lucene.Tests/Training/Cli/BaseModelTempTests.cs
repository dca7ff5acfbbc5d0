using System.Diagnostics;
using Rerank.Lucene.Tests.Cli;
using Rerank.Training.Cli;

namespace Rerank.Lucene.Tests.Training.Cli;

/// <summary>Which <c>rerank-train-minilm-PID</c> folders a run deletes as leftovers of killed runs.</summary>
public sealed class BaseModelTempTests : IDisposable
{
    private readonly TempFolder _temp = new("base-temp");

    public void Dispose() => _temp.Dispose();

    /// <summary>The id of a process that has ended.</summary>
    private static int DeadProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }

    private string Folder(string name, bool withFile = true)
    {
        var dir = Directory.CreateDirectory(_temp.Combine(name)).FullName;
        if (withFile) File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        return dir;
    }

    [Fact]
    public void RemoveStale_DeletesFoldersOfEndedProcessesOnly()
    {
        var dead = DeadProcessId();
        var stale = Folder($"rerank-train-minilm-{dead}");
        var mine = Folder($"rerank-train-minilm-{Environment.ProcessId}");
        // PID 1 runs since boot, before this folder was made: its folder is in use, as far as anyone can tell.
        var running = Folder("rerank-train-minilm-1");
        var notAPid = Folder("rerank-train-minilm-notes");
        var suffix = Folder($"rerank-train-minilm-{dead}-backup");
        var file = _temp.WriteFile($"rerank-train-minilm-{dead + 1}", "a file, not a folder");
        var user = Folder("user-model");
        var link = _temp.Combine($"rerank-train-minilm-{dead + 2}");
        Directory.CreateSymbolicLink(link, user);

        var removed = BaseModelTemp.RemoveStale(_temp.Path);

        Assert.Equal([stale], removed);
        Assert.False(Directory.Exists(stale));
        Assert.All([mine, running, notAPid, suffix, user], d => Assert.True(Directory.Exists(d), d));
        Assert.True(File.Exists(file));
        Assert.True(File.Exists(Path.Combine(link, "config.json")));
        Assert.True(File.Exists(Path.Combine(user, "config.json")));
    }

    [Fact]
    public void RemoveStale_MissingTempFolder_DoesNothing()
    {
        Assert.Empty(BaseModelTemp.RemoveStale(_temp.Combine("absent")));
    }
}
