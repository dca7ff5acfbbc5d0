using System.Text.Json;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Modeling.Onnx;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// Copies of search-host's build output (the one beside these tests) without libtorch: one without any of TorchSharp's
/// native files, one that keeps TorchSharp's glue libLibTorchSharp.so (what a PackageReference to libtorch-cpu-linux-x64
/// with ExcludeAssets="all" gives). Only the top-level files and ONNX Runtime's native libraries are copied.
/// </summary>
public sealed class LibTorchFreeProgramsFixture : IDisposable
{
    private readonly TempFolder _folder = new("no-libtorch");

    public LibTorchFreeProgramsFixture()
    {
        var source = AppContext.BaseDirectory;
        Native = Path.Combine(source, "runtimes", "linux-x64", "native");
        WithoutTorch = Copy(source, _folder.Combine("without-torch"), keepGlue: false);
        WithGlueOnly = Copy(source, _folder.Combine("glue-only"), keepGlue: true);
        WithDamagedLibTorch = Copy(source, _folder.Combine("damaged-libtorch"), keepGlue: true);
        var damagedNative = Path.Combine(WithDamagedLibTorch, "runtimes", "linux-x64", "native");
        foreach (var name in new[] { "libtorch.so", "libc10.so" }) File.Copy(Path.Combine(Native, name), Path.Combine(damagedNative, name));
        // libtorch_cpu.so present but not an ELF file (a damaged or partly copied download).
        File.WriteAllBytes(Path.Combine(damagedNative, "libtorch_cpu.so"), Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray());
        Work = _folder.Combine("work");
        Directory.CreateDirectory(Work);
        Bm25Index = _folder.Combine("bm25");
        IndexBuilder.Build(CorpusReader.ReadJsonl(SampleCorpus.Corpus), Bm25Index, new IndexOptions(Source: SampleCorpus.Corpus));
    }

    /// <summary>The sample corpus indexed without vectors.</summary>
    public string Bm25Index { get; }

    /// <summary>The full build's native folder (it holds libtorch).</summary>
    public string Native { get; }

    /// <summary>A copy without libtorch and without libLibTorchSharp.so.</summary>
    public string WithoutTorch { get; }

    /// <summary>A copy without libtorch that keeps libLibTorchSharp.so.</summary>
    public string WithGlueOnly { get; }

    /// <summary>A copy with libLibTorchSharp.so, libtorch.so and libc10.so, and a libtorch_cpu.so that is not an ELF file.</summary>
    public string WithDamagedLibTorch { get; }

    /// <summary>A folder for indexes.</summary>
    public string Work { get; }

    private string Copy(string source, string target, bool keepGlue)
    {
        var native = Path.Combine(target, "runtimes", "linux-x64", "native");
        Directory.CreateDirectory(native);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        foreach (var file in Directory.GetFiles(Native))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith("libonnxruntime", StringComparison.Ordinal) || (keepGlue && name == "libLibTorchSharp.so"))
                File.Copy(file, Path.Combine(native, name));
        }
        return target;
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary>
/// An app that only searches does not need libtorch (issue 15): search-host without libtorch indexes (with the bundled
/// embedder) and searches with the default reranker exactly as the full build does, byte for byte in --json, and the
/// TorchSharp engine there exits 2 with one message naming the missing library and its package. The full build's search
/// on ONNX Runtime maps no libtorch library either.
/// </summary>
public sealed class SearchWithoutLibTorchTests(LibTorchFreeProgramsFixture programs) : IClassFixture<LibTorchFreeProgramsFixture>
{
    private static readonly string DefaultReranker = Path.Combine(TestPaths.RepoRoot, "models", "default-reranker");

    private static async Task<(int Code, string Output, string Error)> Run(string programFolder, params string[] args)
    {
        using var child = ChildProcess.SearchHostIn(programFolder, args);
        child.Input.Close();
        var code = await child.WaitForExit(300);
        return (code, child.Output, child.Error);
    }

    private static bool IsTorchLibrary(string name) =>
        name.StartsWith("libtorch", StringComparison.Ordinal) || name.StartsWith("libc10", StringComparison.Ordinal)
        || name == "libLibTorchSharp.so" || name.StartsWith("libgomp", StringComparison.Ordinal);

    [Fact]
    public async Task IndexAndRerankedSearch_WithoutLibTorch_EqualTheFullBuilds()
    {
        Assert.True(File.Exists(Path.Combine(programs.Native, "libtorch_cpu.so")), "the full build holds libtorch");
        Assert.DoesNotContain(Directory.GetFiles(programs.WithoutTorch, "*", SearchOption.AllDirectories), f => IsTorchLibrary(Path.GetFileName(f)));

        var full = Path.Combine(programs.Work, "full");
        var stripped = Path.Combine(programs.Work, "stripped");
        var built = await Run(AppContext.BaseDirectory, "index", "--corpus", SampleCorpus.Corpus, "--index", full);
        Assert.True(built.Code == 0, built.ToString());
        // With an empty NuGet packages folder: the copy carries the bundled embedder beside it, as a published program does.
        var emptyPackages = Path.Combine(programs.Work, "empty-nuget-packages");
        Directory.CreateDirectory(emptyPackages);
        using (var child = ChildProcess.SearchHostIn(programs.WithoutTorch, new Dictionary<string, string> { ["NUGET_PACKAGES"] = emptyPackages },
                   "index", "--corpus", SampleCorpus.Corpus, "--index", stripped))
        {
            child.Input.Close();
            built = (await child.WaitForExit(300), child.Output, child.Error);
        }
        Assert.True(built.Code == 0, built.ToString());
        Assert.True(File.Exists(Path.Combine(programs.WithoutTorch, MiniLmPackage.DllFileName)));
        Assert.Contains("Embedder engine: onnxruntime fp32 on cpu (", built.Output + built.Error);
        Assert.Contains("device auto: cpu, as libtorch is not here: libLibTorchSharp.so (package TorchSharp) is not beside this program", built.Output + built.Error);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(full, "embeddings.f32")), await File.ReadAllBytesAsync(Path.Combine(stripped, "embeddings.f32")));

        foreach (var query in new[] { "why does my dough get bigger before baking?", "what protects the body from getting sick again after an infection" })
        {
            var expected = await Run(AppContext.BaseDirectory, "search", "--index", full, "--reranker", DefaultReranker, "--json", "--top", "20", query);
            var actual = await Run(programs.WithoutTorch, "search", "--index", stripped, "--reranker", DefaultReranker, "--json", "--top", "20", query);
            Assert.True(expected.Code == 0, expected.ToString());
            Assert.True(actual.Code == 0, actual.ToString());
            Assert.Equal(expected.Output, actual.Output);

            using var json = JsonDocument.Parse(actual.Output);
            Assert.Equal("hybrid", json.RootElement.GetProperty("retrieval").GetString());
            Assert.Equal("onnxruntime", json.RootElement.GetProperty("engine").GetString());
            Assert.Equal("onnxruntime", json.RootElement.GetProperty("embedder").GetProperty("engine").GetString());
            var hits = json.RootElement.GetProperty("hits").EnumerateArray().ToList();
            Assert.True(hits.Count >= 10, actual.Output);
            Assert.All(hits.Take(10), h => Assert.True(h.TryGetProperty("cross_encoder_score", out _)));
        }
        // TorchSharp's own fallback (copying libtorch from the NuGet cache into the program's folder) never ran.
        Assert.False(Directory.Exists(Path.Combine(programs.WithoutTorch, "cpu")));
    }

    [Theory]
    [InlineData(false, "libLibTorchSharp.so is not beside this program")]
    [InlineData(true, "libtorch could not be loaded: libtorch.so is not beside ")]
    public async Task TorchSharpEngine_WithoutLibTorch_ExitsTwoWithOneMessageNamingTheLibraryAndItsPackage(bool glue, string missing)
    {
        var program = glue ? programs.WithGlueOnly : programs.WithoutTorch;

        var result = await Run(program, "search", "--index", programs.Bm25Index,
            "--reranker", DefaultReranker, "--engine", "torchsharp", "tides");

        Assert.True(result.Code == 2, result.ToString());
        Assert.Equal("", result.Output);
        var lines = result.Error.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, result.Error);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(missing, lines[0]);
        Assert.Contains("libtorch-cpu-linux-x64", lines[0]);
        Assert.Contains("needs libtorch", lines[0]);
        Assert.False(Directory.Exists(Path.Combine(program, "cpu")));
    }

    [Fact]
    public async Task TorchSharpEngine_WithADamagedLibTorch_ExitsTwoNamingTheFile_WithoutTorchSharpsCopyFromTheNuGetCache()
    {
        var program = programs.WithDamagedLibTorch;
        long Bytes() => Directory.GetFiles(program, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var before = Bytes();

        var result = await Run(program, "search", "--index", programs.Bm25Index,
            "--reranker", DefaultReranker, "--engine", "torchsharp", "tides");

        Assert.True(result.Code == 2, result.ToString());
        Assert.Equal("", result.Output);
        Assert.StartsWith("error: The TorchSharp engine", result.Error);
        Assert.Contains("needs libtorch", result.Error);
        Assert.Contains("The dynamic loader says: ", result.Error);
        Assert.Contains("libtorch_cpu.so", result.Error);
        Assert.DoesNotContain("LoadNativeBackend", result.Error);
        // TorchSharp's fallback copies about 480 MB of libtorch from the NuGet cache into PROGRAM/cpu and tries again.
        Assert.False(Directory.Exists(Path.Combine(program, "cpu")));
        Assert.Equal(before, Bytes());
    }

    [Fact]
    public async Task RerankTrain_WithoutLibTorch_RefusesBeforeOpeningTheIndex()
    {
        // The index does not exist: a run that got as far as opening it (and then mining) would say so instead.
        var output = Path.Combine(programs.Work, "never-written");
        using var child = ChildProcess.RerankTrainIn(programs.WithGlueOnly, "--index", Path.Combine(programs.Work, "no-such-index"),
            "--self-supervised", "--base", DefaultReranker, "--output", output);
        child.Input.Close();
        var code = await child.WaitForExit(300);

        Assert.True(code == 2, $"exit {code}: {child.Error}");
        var lines = child.Error.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, child.Error);
        Assert.StartsWith("error: Training (rerank-train) needs libtorch. libtorch could not be loaded: libtorch.so is not beside ", lines[0]);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task RerankedHybridSearch_OnOnnxRuntime_InTheFullBuild_MapsNoLibTorch()
    {
        var index = Path.Combine(programs.Work, "maps");
        var built = await Run(AppContext.BaseDirectory, "index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(built.Code == 0, built.ToString());

        using var child = ChildProcess.SearchHostIn(AppContext.BaseDirectory, "search", "--index", index, "--reranker", DefaultReranker, "--json");
        await child.Input.WriteLineAsync("who made books cheap?");
        await child.Input.FlushAsync();
        await child.WaitUntil(() => child.Output.Contains("\"cross_encoder_score\"", StringComparison.Ordinal), "the reranked hits");

        var mapped = (await File.ReadAllLinesAsync($"/proc/{child.Id}/maps"))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 6).Select(f => Path.GetFileName(f[5])).ToHashSet();
        child.Input.Close();
        Assert.Equal(0, await child.WaitForExit());

        Assert.Contains("libonnxruntime.so", mapped);
        Assert.DoesNotContain(mapped, IsTorchLibrary);
    }
}
