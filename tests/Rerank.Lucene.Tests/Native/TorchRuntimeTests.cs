using Rerank.Lucene.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Native;

[Collection(TorchCollection.Name)]
public sealed class TorchRuntimeTests
{
    [Fact]
    public void EnsureLoaded_PlainBuild_TorchComputes()
    {
        TorchRuntime.EnsureLoaded();

        using var sum = ones(2, 2).sum();

        Assert.Equal(4f, sum.item<float>());
    }

    [Fact]
    public void SelectDevice_Cpu_ReturnsCpu()
    {
        Assert.Equal(DeviceType.CPU, TorchRuntime.SelectDevice("CPU").type);
    }

    [Fact]
    public void SelectDevice_Auto_FollowsCudaAvailability()
    {
        var device = TorchRuntime.SelectDevice("auto");

        Assert.Equal(cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, device.type);
    }

    [Fact]
    public void SelectDevice_Unknown_ThrowsNamingChoices()
    {
        var e = Assert.Throws<InvalidInputException>(() => TorchRuntime.SelectDevice("tpu"));

        Assert.Equal("Unknown device 'tpu'; expected auto, cpu, cuda or cuda:N.", e.Message);
    }

    [Fact]
    public void SelectDevice_CudaWithoutGpu_ThrowsWithFix()
    {
        if (cuda.is_available()) return; // only meaningful on a CPU-only machine
        var e = Assert.Throws<InvalidInputException>(() => TorchRuntime.SelectDevice("cuda"));

        Assert.StartsWith("Device 'cuda' was requested but CUDA is not available", e.Message);
        Assert.Contains("libtorch-cuda-12.8-linux-x64", e.Message);
    }

    [Fact]
    public void SetThreads_Zero_Throws()
    {
        var e = Assert.Throws<InvalidInputException>(() => TorchRuntime.SetThreads(0));

        Assert.Equal("Thread count must be positive; got 0.", e.Message);
    }

    [Fact]
    public void LoadFailureMessage_LoaderError_SaysElfFixAndRebuild()
    {
        var message = TorchRuntime.LoadFailureMessage(new DllNotFoundException("version `GLIBCXX_3.4.32' not found"));

        Assert.StartsWith("TorchSharp's native library could not be loaded: version `GLIBCXX_3.4.32' not found", message);
        Assert.Contains("PatchTorchSharpElfInOutput", message);
        Assert.Contains("Rebuild so it runs: `dotnet build`", message);
    }
}
