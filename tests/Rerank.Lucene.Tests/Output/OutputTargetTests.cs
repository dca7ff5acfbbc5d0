using Rerank.Lucene.Output;
using Rerank.Lucene.Tests.Cli;

namespace Rerank.Lucene.Tests.Output;

/// <summary>The one rule of every output writer, checked on folders and files that hold a user's data.</summary>
public sealed class OutputTargetTests : IDisposable
{
    private readonly TempFolder _temp = new("output-target");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void CheckFolder_MissingOrEmpty_MayBeWritten()
    {
        Assert.False(OutputTarget.CheckFolder(_temp.Combine("new"), OutputKind.ModelFolder, overwrite: false));
        Directory.CreateDirectory(_temp.Combine("empty"));
        Assert.True(OutputTarget.CheckFolder(_temp.Combine("empty"), OutputKind.ModelFolder, overwrite: false));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CheckFolder_UserFilesBesideModelFiles_RefusedEvenWithOverwrite(bool overwrite)
    {
        var dir = _temp.Combine("model");
        _temp.WriteFile("model/config.json", "{}");
        _temp.WriteFile("model/model.safetensors", "x");
        _temp.WriteFile("model/sub/notes.md", "mine");

        var e = Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFolder(dir, OutputKind.ModelFolder, overwrite));

        Assert.Equal($"'{dir}' already exists and it holds 'sub' (a folder), which is not part of a model folder; refusing to replace it, "
            + "even with --overwrite, so that nothing of yours is deleted. Choose a new or empty --output folder.", e.Message);
    }

    [Fact]
    public void CheckFolder_ModelFilesWithoutConfig_IsNotAModelFolder()
    {
        var dir = _temp.Combine("half");
        _temp.WriteFile("half/README.md", "my notes");

        var e = Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFolder(dir, OutputKind.ModelFolder, overwrite: true));

        Assert.Contains("it is not a model folder (no config.json)", e.Message);
    }

    [Fact]
    public void CheckFolder_ModelFolder_NeedsOverwrite()
    {
        var dir = _temp.Combine("model");
        _temp.WriteFile("model/config.json", "{}");
        _temp.WriteFile("model/searchrerank.json", "{}");

        var e = Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFolder(dir, OutputKind.ModelFolder, overwrite: false, "--output"));

        Assert.Equal($"'{dir}' already holds a model folder. Pass --overwrite to replace it, or choose another --output folder.", e.Message);
        Assert.True(OutputTarget.CheckFolder(dir, OutputKind.ModelFolder, overwrite: true));
    }

    [Fact]
    public void CheckFolder_AFile_Refused()
    {
        var file = _temp.WriteFile("thesis.txt", "precious");

        var e = Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFolder(file, OutputKind.Index, overwrite: true, "--index"));

        Assert.Equal($"'{file}' is a file, not a folder; refusing to replace it. Choose another --index folder.", e.Message);
    }

    [Fact]
    public void CheckFile_RunFile_NeedsOverwrite_OtherFilesNever()
    {
        var run = _temp.WriteFile("bm25.run", "q1 Q0 d7 1 12.500000 bm25", "q1 Q0 d3 2 11.250000 bm25");
        var queries = _temp.WriteFile("queries.jsonl", "{\"_id\":\"q1\",\"text\":\"tides\"}");
        var empty = _temp.WriteFile("empty.run");

        var needsFlag = Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFile(run, OutputKind.RunFile, overwrite: false, "--run"));
        Assert.Equal($"'{run}' already exists (a TREC run file). Pass --overwrite to replace it, or choose another --run file.", needsFlag.Message);
        OutputTarget.CheckFile(run, OutputKind.RunFile, overwrite: true, "--run");
        Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFile(empty, OutputKind.RunFile, overwrite: false, "--run"));
        OutputTarget.CheckFile(empty, OutputKind.RunFile, overwrite: true, "--run");

        var never = Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFile(queries, OutputKind.RunFile, overwrite: true, "--run"));
        Assert.Equal($"'{queries}' already exists and is not a TREC run file (its first line starts '{{\"_id\":\"q1\",\"text\":\"tides\"}}'); "
            + "refusing to replace it, even with --overwrite. Choose another --run file.", never.Message);
        Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFile(queries, OutputKind.MinedFile, overwrite: true, "--write-mined"));
        Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFile(run, OutputKind.MinedFile, overwrite: true, "--write-mined"));
    }

    [Fact]
    public void CheckFile_MinedFile_RecognisedByItsFirstKey()
    {
        var mined = _temp.WriteFile("mined.jsonl", "{\"query_id\":\"q1\",\"query\":\"tides\",\"positives\":[],\"negatives\":[]}");

        OutputTarget.CheckFile(mined, OutputKind.MinedFile, overwrite: true, "--write-mined");
        Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFile(mined, OutputKind.RunFile, overwrite: true, "--run"));
    }

    [Fact]
    public void AtomicFile_DisposedWithoutCommit_LeavesTheOldFileAndNoTemporary()
    {
        var path = _temp.WriteFile("bm25.run", "old");

        using (var file = AtomicFile.Create(path))
        {
            file.Writer.Write("half");
        }

        Assert.Equal("old\n", File.ReadAllText(path));
        Assert.Equal(["bm25.run"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AtomicFile_Commit_ReplacesTheFile()
    {
        var path = _temp.WriteFile("bm25.run", "old");

        using (var file = AtomicFile.Create(path))
        {
            file.Writer.WriteLine("new");
            Assert.Equal("old\n", File.ReadAllText(path));
            file.Commit();
        }

        Assert.Equal("new\n", File.ReadAllText(path));
        Assert.Equal(["bm25.run"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AtomicFolder_WriterThrows_KeepsTheOldFolderAndNoStaging()
    {
        var dir = _temp.Combine("model");
        _temp.WriteFile("model/config.json", "old");

        Assert.Throws<IOException>(() => AtomicFolder.Write(dir, staging =>
        {
            File.WriteAllText(Path.Combine(staging, "config.json"), "new");
            throw new IOException("disk full");
        }));

        Assert.Equal("old\n", File.ReadAllText(Path.Combine(dir, "config.json")));
        Assert.Equal(["model"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void CheckFolder_SymbolicLink_RefusedEvenWithOverwrite()
    {
        var real = _temp.Combine("real");
        _temp.WriteFile("real/config.json", "{}");
        var link = _temp.Combine("link");
        Directory.CreateSymbolicLink(link, real);

        var e = Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFolder(link, OutputKind.ModelFolder, overwrite: true));

        Assert.Equal($"'{link}' is a symbolic link (to '{real}'); refusing to write through it. Pass the real path as --output.", e.Message);
    }

    [Fact]
    public void CheckFile_TrailingSlashOrSymbolicLink_Refused()
    {
        var run = _temp.WriteFile("bm25.run", "q1 Q0 d7 1 12.500000 bm25");
        var link = _temp.Combine("link.run");
        File.CreateSymbolicLink(link, run);

        Assert.Contains("ends with a slash; --run needs a file path", Assert.Throws<InvalidInputException>(
            () => OutputTarget.CheckFile(_temp.Combine("new") + "/", OutputKind.RunFile, overwrite: true, "--run")).Message);
        Assert.Contains("is a symbolic link", Assert.Throws<InvalidInputException>(
            () => OutputTarget.CheckFile(link, OutputKind.RunFile, overwrite: true, "--run")).Message);
    }

    [Fact]
    public void CheckFolder_TrailingSlashOnAFile_RefusedUpFront()
    {
        var file = _temp.WriteFile("f.txt", "mine");

        var e = Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFolder(file + "/", OutputKind.Index, overwrite: true, "--index"));

        Assert.Contains("is a file, not a folder", e.Message);
    }

    [Fact]
    public void CheckFile_DeviceOrPipe_RefusedEvenWithOverwrite()
    {
        if (OperatingSystem.IsWindows()) return;
        var fifo = _temp.Combine("pipe");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();

        foreach (var special in new[] { "/dev/null", fifo })
        {
            var e = Assert.Throws<InvalidInputException>(() => OutputTarget.CheckFile(special, OutputKind.RunFile, overwrite: true, "--run"));
            Assert.Contains("is not a regular file", e.Message);
        }
    }

    [Fact]
    public void AtomicFile_AUserFileAppearsWhileWriting_CommitRefusesAndKeepsIt()
    {
        var path = _temp.Combine("bm25.run");
        using var file = AtomicFile.Create(path, OutputKind.RunFile, overwrite: false, "--run");
        file.Writer.WriteLine("q1 Q0 d1 1 1.000000 bm25");
        File.WriteAllText(path, "MY PRECIOUS NOTES");

        Assert.Throws<InvalidInputException>(file.Commit);

        Assert.Equal("MY PRECIOUS NOTES", File.ReadAllText(path));
    }
}
