using Search.Host.Cli;
using Search.Host.Hosting;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// The default reranker's load errors advise rebuilding or restoring the model only when the fault is in its folder:
/// a request that cannot run (flags that do not go together, libtorch absent) is not cured by a new model.
/// </summary>
public sealed class DefaultRerankerLoaderTests : IDisposable
{
    private readonly TempFolder _temp = new("default-reranker-loader");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void DamagedDefaultModel_ErrorSaysHowToRebuildOrRestoreIt()
    {
        var model = Path.Combine(_temp.Path, "default-reranker");
        Directory.CreateDirectory(model);
        File.WriteAllText(Path.Combine(model, "config.json"), "{ not json");

        var e = Assert.Throws<InvalidInputException>(() => DefaultRerankerLoader.Load(model, new SearchHostOptions()));

        Assert.StartsWith($"The default reranker at '{model}' cannot be loaded: ", e.Message);
        Assert.EndsWith(DefaultRerankerLoader.RebuildHint, e.Message);
    }

    [Fact]
    public void MaxLengthBeyondTheDefaultModel_RefusedAsTheFlags_WithoutTheRebuildAdvice()
    {
        var model = Path.Combine(TestPaths.RepoRoot, "models", "default-reranker");
        var options = new SearchHostOptions { Reranker = new RerankerHostOptions { MaxLength = 1000, Device = "cpu" } };

        var e = Assert.Throws<InvalidInputException>(() => DefaultRerankerLoader.Load(model, options));

        Assert.Equal($"Max length 1000 is out of range for '{model}': expected 4 to 512 (the positions the model reads). Lower --max-length.", e.Message);
    }

    [Theory]
    [InlineData("onnxruntime", "bf16", "auto", "Precision bf16 runs on TorchSharp only; use --precision fp32 or int8 with ONNX Runtime, or the TorchSharp engine for bf16.")]
    [InlineData("torchsharp", "int8", "auto", "Precision int8 runs on ONNX Runtime only; use the ONNX Runtime engine (the CPU default) or --precision fp32/bf16.")]
    [InlineData("onnxruntime", "auto", "cuda", "The ONNX Runtime engine runs on the CPU only; use --device cpu, or the TorchSharp engine on CUDA.")]
    public void FlagsThatCannotRunTogether_RefusedAsSuch_WithoutTheRebuildAdvice(string engine, string precision, string device, string message)
    {
        var model = Path.Combine(TestPaths.RepoRoot, "models", "default-reranker");
        var options = new SearchHostOptions { Reranker = new RerankerHostOptions { Engine = engine, Precision = precision, Device = device } };

        var e = Assert.Throws<InvalidInputException>(() => DefaultRerankerLoader.Load(model, options));

        Assert.Equal(message, e.Message);
    }
}

/// <summary>
/// search-host without a default reranker where it looks: it says so with this program's ways (--reranker DIR, SEARCHRERANK_MODELS,
/// --no-rerank), not the library's (CrossEncoder.Load, project-file items), which stay in <see cref="Rerank.Lucene.Reranking.DefaultReranker.Locate"/>'s message.
/// </summary>
public sealed class DefaultRerankerNotFoundTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    [Fact]
    public async Task Search_NoDefaultRerankerWhereItLooks_SaysSoNamingTheCliWays()
    {
        using var models = new TempFolder("no-default-models");
        var env = new Dictionary<string, string> { ["SEARCHRERANK_MODELS"] = models.Path };
        using var child = ChildProcess.SearchHost(env, "search", "--index", sample.Index, "--top", "2", "tides");
        child.Input.Close();
        using var quiet = ChildProcess.SearchHost(env, "search", "--index", sample.Index, "--top", "2", "--no-rerank", "tides");
        quiet.Input.Close();

        Assert.Equal(0, await child.WaitForExit(120));
        Assert.Equal(0, await quiet.WaitForExit(120));
        var looked = $"{Path.Combine(models.Path, "default-reranker")}, {Path.Combine(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), "models", "default-reranker")}";
        Assert.Equal(
            [$"No default reranker found. Looked for a model folder at, in order: {looked}. Searching with the first stage only. To rerank, pass --reranker DIR "
                + "(a cross-encoder folder) or set SEARCHRERANK_MODELS to a folder that contains default-reranker/; --no-rerank asks for the first stage alone (and drops this note)."],
            child.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("CrossEncoder.Load", child.Error);
        Assert.Equal("", quiet.Error);
        Assert.Equal(quiet.Output, child.Output);
    }

    [Fact]
    public async Task RerankTrain_NoDefaultRerankerAndNoBase_SaysSoNamingItsOwnWays()
    {
        using var models = new TempFolder("no-default-models-train");
        var output = models.Combine("out");
        using var child = ChildProcess.RerankTrain(new Dictionary<string, string> { ["SEARCHRERANK_MODELS"] = models.Path },
            "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--output", output);
        child.Input.Close();

        Assert.Equal(2, await child.WaitForExit(120));
        var looked = $"{Path.Combine(models.Path, "default-reranker")}, {Path.Combine(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), "models", "default-reranker")}";
        Assert.Equal($"error: No default reranker found. Looked for a model folder at, in order: {looked}. rerank-train starts from it unless told otherwise: "
            + "pass --base DIR (a cross-encoder or BERT folder), --base minilm to start from the bundled MiniLM-L6 encoder, or set SEARCHRERANK_MODELS to a "
            + "folder that contains default-reranker/.\n", child.Error);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Locate_NoDefaultModel_LibraryMessageKeepsTheLibraryWays()
    {
        var paths = Rerank.Lucene.Reranking.DefaultReranker.SearchPaths(null, "/opt/app", "/home/me/work");

        var message = Rerank.Lucene.Reranking.DefaultReranker.NotFoundMessage(paths, variableSet: false);

        Assert.StartsWith(Rerank.Lucene.Reranking.DefaultReranker.NotFoundSummary(paths, variableSet: false) + " Put the default model there: ", message);
        Assert.Contains("can be passed to CrossEncoder.Load instead.", message);
    }
}
