using Rerank.Lucene.Native;
using Rerank.Lucene.Tests.Cli;
using SearchRerank.Build;
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

    private static readonly DllNotFoundException LoaderError = new("version `GLIBCXX_3.4.32' not found");

    /// <summary>A program folder holding a copy of the package's (unpatched) libLibTorchSharp.so where a portable build puts it.</summary>
    private static (TempFolder Program, string Library) ProgramWithPackageLibrary()
    {
        var program = new TempFolder("program");
        var native = program.Combine("runtimes", "linux-x64", "native");
        Directory.CreateDirectory(native);
        var library = Path.Combine(native, "libLibTorchSharp.so");
        File.Copy(ElfVersionNeedPatcherTests.PackageLibrary(), library);
        return (program, library);
    }

    [Fact]
    public void LoadFailureMessage_UnpatchedCopyOnSystemWithoutTheVersion_SaysTheBuildStepDidNotRunAndWhatHelps()
    {
        var (program, library) = ProgramWithPackageLibrary();
        using var _ = program;

        // No libstdc++ candidate exists, so the system counts as lacking GLIBCXX_3.4.32.
        var message = TorchRuntime.LoadFailureMessage(LoaderError, program.Path, [program.Combine("no-libstdc++.so.6")], isLinux: true,
            file => $"{file}: version `GLIBCXX_3.4.32' not found");

        Assert.StartsWith($"TorchSharp's native library could not be loaded. The copy at {library} still requires GLIBCXX_3.4.32", message);
        Assert.Contains("buildTransitive/SearchRerank.Lucene.targets", message);
        Assert.Contains("ExcludeAssets", message);
        Assert.Contains("<Import Project=\"CLONE/build/SearchRerank.Lucene.targets\" />", message);
        Assert.Contains("dotnet publish -p:TorchSharpElfFix=always", message);
        Assert.Contains($"readelf -V {library}", message);
        Assert.DoesNotContain("Rebuild so it runs", message);
        Assert.EndsWith($"\nThe dynamic loader says: {library}: version `GLIBCXX_3.4.32' not found\nTorchSharp's message: version `GLIBCXX_3.4.32' not found", message);
    }

    [Fact]
    public void LoadFailureMessage_PatchedCopy_SaysTheElfFixIsNotWhatFails()
    {
        var (program, library) = ProgramWithPackageLibrary();
        using var _ = program;
        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionNeedPatcher.MarkVersionNeedWeak(library, "GLIBCXX_3.4.32"));

        var message = TorchRuntime.LoadFailureMessage(new DllNotFoundException("libc10.so: cannot open shared object file"),
            program.Path, [program.Combine("no-libstdc++.so.6")], isLinux: true, _ => "libc10.so: cannot open shared object file");

        Assert.Contains($"The copy at {library} is not what fails (its GLIBCXX_3.4.32 requirement is already marked weak)", message);
        Assert.DoesNotContain("still requires", message);
        Assert.Contains("\nThe dynamic loader says: libc10.so: cannot open shared object file\n", message);
    }

    [Fact]
    public void LoadFailureMessage_NoLibraryBesideTheProgram_NamesWhereItLookedAndWhichPackagesBringIt()
    {
        using var program = new TempFolder("program");

        var message = TorchRuntime.LoadFailureMessage(LoaderError, program.Path, [], isLinux: true, _ => throw new InvalidOperationException("no file to probe"));

        Assert.Contains($"libLibTorchSharp.so is not beside this program (looked for {program.Combine("runtimes", "linux-x64", "native", "libLibTorchSharp.so")} and {program.Combine("libLibTorchSharp.so")})", message);
        Assert.Contains("libtorch-cpu-linux-x64", message);
    }

    [Fact]
    public void LoadFailureMessage_NotLinux_NamesTheLibtorchPackageToAdd()
    {
        using var program = new TempFolder("program");

        var message = TorchRuntime.LoadFailureMessage(LoaderError, program.Path, [], isLinux: false, _ => null);

        Assert.Contains("libtorch-cpu-win-x64", message);
    }
}
