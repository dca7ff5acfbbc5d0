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
