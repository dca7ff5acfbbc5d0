using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Training.Cli;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// Commands never delete or overwrite what is not their own output (issue: `rerank-train --output DIR`
/// deleted the user's files in DIR; `--output models` would have deleted the default reranker).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OutputSafetyTests(TinyTrainingRunFixture run) : IClassFixture<TinyTrainingRunFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-output-safety");

    public void Dispose() => _temp.Dispose();

    private static IReadOnlyList<(string Path, string Text)> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(dir, f), File.ReadAllText(f))).ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RerankTrain_OutputFolderHoldingUserFiles_ExitsTwoAndKeepsThem(bool overwrite)
    {
        var dir = _temp.Combine("mine");
        _temp.WriteFile("mine/important.txt", "do not delete");
        _temp.WriteFile("mine/sub/notes.md", "mine too");
        var before = Snapshot(dir);

        var result = await CliInvocation.RerankTrain([.. run.Args(dir, maxSteps: 1), .. overwrite ? new[] { "--overwrite" } : []]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: '{dir}' already exists and it holds ", result.Error);
        Assert.Contains("refusing to replace it, even with --overwrite", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Equal(before, Snapshot(dir));
        Assert.False(Directory.Exists(dir + "-checkpoints"), "refused before training started");
    }

    [Fact]
    public async Task RerankTrain_OutputIsAFolderOfModels_ExitsTwoAndKeepsTheModel()
    {
        // `--output models` in the repository: a folder holding model folders, never one itself.
        var models = _temp.Combine("models");
        var reranker = Path.Combine(models, "default-reranker");
        Directory.CreateDirectory(reranker);
        foreach (var file in Directory.GetFiles(run.Output)) File.Copy(file, Path.Combine(reranker, Path.GetFileName(file)));
        var before = Snapshot(models);

        var result = await CliInvocation.RerankTrain([.. run.Args(models, maxSteps: 1), "--overwrite"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("it holds 'default-reranker' (a folder), which is not part of a model folder", result.Error);
        Assert.Equal(before, Snapshot(models));
    }

    [Fact]
    public async Task RerankTrain_ExistingModelFolder_ReplacedOnlyWithOverwrite()
    {
        var dir = _temp.Combine("model");
        var first = await CliInvocation.RerankTrain(run.Args(dir, maxSteps: 1));
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.False(Directory.Exists(dir + "-checkpoints"), "checkpoints are removed after a successful run");
        var before = File.ReadAllBytes(Path.Combine(dir, "model.safetensors"));

        var refused = await CliInvocation.RerankTrain(run.Args(dir, seed: 8, maxSteps: 1));
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal($"error: '{dir}' already holds a model folder. Pass --overwrite to replace it, or choose another --output folder.\n", refused.Error);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Assert.Contains("--seed 7", File.ReadAllText(Path.Combine(dir, "README.md")));

        var replaced = await CliInvocation.RerankTrain([.. run.Args(dir, seed: 8, maxSteps: 1), "--overwrite"]);
        Assert.True(replaced.ExitCode == 0, replaced.ToString());
        Assert.Contains("--seed 8", File.ReadAllText(Path.Combine(dir, "README.md")));
    }

    [Fact]
    public async Task RerankTrain_WriteMinedOverAnotherFile_ExitsTwoAndKeepsIt()
    {
        var queries = _temp.WriteFile("queries.jsonl", File.ReadAllLines(SampleCorpus.Queries));
        var before = File.ReadAllText(queries);

        var result = await CliInvocation.RerankTrain([.. run.Args(_temp.Combine("m"), maxSteps: 1), "--write-mined", queries, "--overwrite"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"'{queries}' already exists and is not a file of mined training groups", result.Error);
        Assert.Equal(before, File.ReadAllText(queries));
    }

    [Fact]
    public async Task Eval_RunOverAnotherFile_ExitsTwoAndKeepsIt()
    {
        var qrels = _temp.WriteFile("qrels.tsv", File.ReadAllLines(SampleCorpus.Qrels));
        var before = File.ReadAllText(qrels);

        var result = await CliInvocation.SearchHost("eval", "--index", run.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--run", qrels, "--overwrite");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"'{qrels}' already exists and is not a TREC run file", result.Error);
        Assert.Equal(before, File.ReadAllText(qrels));
    }

    [Fact]
    public async Task Eval_ExistingRunFile_ReplacedOnlyWithOverwrite()
    {
        var path = _temp.WriteFile("bm25.run", "q1 Q0 gone 1 1.000000 old");
        string[] eval = ["eval", "--index", run.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--run", path];

        var refused = await CliInvocation.SearchHost(eval);
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal($"error: '{path}' already exists (a TREC run file). Pass --overwrite to replace it, or choose another --run file.\n", refused.Error);
        Assert.Equal("q1 Q0 gone 1 1.000000 old\n", File.ReadAllText(path));

        var replaced = await CliInvocation.SearchHost([.. eval, "--overwrite"]);
        Assert.True(replaced.ExitCode == 0, replaced.ToString());
        Assert.DoesNotContain("gone", File.ReadAllText(path));
        Assert.Equal(["bm25.run"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ModelConvert_IntoAFolderHoldingUserFiles_ExitsTwoAndKeepsThem()
    {
        var dir = _temp.Combine("fp16");
        _temp.WriteFile("fp16/important.txt", "do not delete");

        var result = await CliInvocation.SearchHost("model", "convert-fp16", "--input", run.Output, "--output", dir, "--overwrite");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("it holds 'important.txt', which is not part of a model folder", result.Error);
        Assert.Equal(["important.txt"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task RerankTrain_OutputBeingWrittenByAnotherRun_ExitsTwoNamingItBeforeAnyWork()
    {
        var dir = _temp.Combine("busy");
        using var other = Rerank.Lucene.Indexing.IndexWriteLock.Acquire(dir, "Model folder", "another run holds it");

        var result = await CliInvocation.RerankTrain(run.Args(dir, maxSteps: 1));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: Model folder '{dir}' is being written by another process (pid {Environment.ProcessId}); only one rerank-train run per --output", result.Error);
        Assert.False(Directory.Exists(dir + "-checkpoints"));
    }
}
