using System.Runtime.InteropServices;
using SearchRerank.Build;

namespace Rerank.Lucene.Tests.Native;

public sealed class ElfVersionNeedPatcherTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDir("elf");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The unpatched libLibTorchSharp.so in the NuGet package cache (read only here, copied before patching).</summary>
    internal static string PackageLibrary()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp package not restored at {path}");
        return path;
    }

    private string CopyOfPackageLibrary()
    {
        var copy = Path.Combine(_dir, "libLibTorchSharp.so");
        File.Copy(PackageLibrary(), copy);
        return copy;
    }

    [Fact]
    public void ReadVersionNeeds_TorchSharpLibrary_ListsGlibcxx3432NotWeak()
    {
        var needs = ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(PackageLibrary()), "pkg");

        var need = Assert.Single(needs, n => n.Name == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", need.Library);
        Assert.Equal(0, need.Flags & ElfVersionNeedPatcher.VerFlagWeak);
        Assert.Contains(needs, n => n.Name == "GLIBC_2.2.5");
    }

    [Fact]
    public void MarkVersionNeedWeak_RealLibraryCopy_SetsOnlyTheWeakBit()
    {
        var copy = CopyOfPackageLibrary();
        var before = File.ReadAllBytes(copy);

        var outcome = ElfVersionNeedPatcher.MarkVersionNeedWeak(copy, "GLIBCXX_3.4.32");

        Assert.Equal(ElfPatchOutcome.Patched, outcome);
        var after = File.ReadAllBytes(copy);
        Assert.Equal(before.Length, after.Length);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        var need = ElfVersionNeedPatcher.ReadVersionNeeds(after, copy).Single(n => n.Name == "GLIBCXX_3.4.32");
        Assert.Equal([need.FlagsOffset], changed.Select(i => (long)i));
        Assert.Equal(before[need.FlagsOffset] | 0x2, after[need.FlagsOffset]);
        Assert.All(ElfVersionNeedPatcher.ReadVersionNeeds(after, copy).Where(n => n.Name != "GLIBCXX_3.4.32"),
            n => Assert.Equal(0, n.Flags & ElfVersionNeedPatcher.VerFlagWeak));
    }

    [Fact]
    public void MarkVersionNeedWeak_SecondRun_ReportsAlreadyWeakAndLeavesFileAlone()
    {
        var copy = CopyOfPackageLibrary();
        ElfVersionNeedPatcher.MarkVersionNeedWeak(copy, "GLIBCXX_3.4.32");
        var once = File.ReadAllBytes(copy);
        var stamp = File.GetLastWriteTimeUtc(copy);

        var outcome = ElfVersionNeedPatcher.MarkVersionNeedWeak(copy, "GLIBCXX_3.4.32");

        Assert.Equal(ElfPatchOutcome.AlreadyWeak, outcome);
        Assert.Equal(once, File.ReadAllBytes(copy));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(copy));
    }

    [Fact]
    public void MarkVersionNeedWeak_VersionNotRequired_ReportsNotRequired()
    {
        var copy = CopyOfPackageLibrary();
        var before = File.ReadAllBytes(copy);

        Assert.Equal(ElfPatchOutcome.NotRequired, ElfVersionNeedPatcher.MarkVersionNeedWeak(copy, "GLIBCXX_9.9.9"));
        Assert.Equal(before, File.ReadAllBytes(copy));
    }

    [Fact]
    public void MarkVersionNeedWeak_ThroughSymbolicLink_LeavesLinkTargetUnchanged()
    {
        var original = CopyOfPackageLibrary();
        var originalBytes = File.ReadAllBytes(original);
        var link = Path.Combine(_dir, "linked.so");
        File.CreateSymbolicLink(link, original);

        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionNeedPatcher.MarkVersionNeedWeak(link, "GLIBCXX_3.4.32"));

        Assert.Equal(originalBytes, File.ReadAllBytes(original));
        Assert.Null(new FileInfo(link).LinkTarget);
        Assert.NotEqual(originalBytes, File.ReadAllBytes(link));
    }

    [Fact]
    public void MarkVersionNeedWeak_TextFile_ThrowsNoElfMagic()
    {
        var path = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(path, new string('x', 200));

        var e = Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.MarkVersionNeedWeak(path, "GLIBCXX_3.4.32"));

        Assert.Equal($"'{path}' is not a well-formed ELF64 little-endian file: no ELF magic (7F 45 4C 46).", e.Message);
        Assert.Equal(new string('x', 200), File.ReadAllText(path));
    }

    [Fact]
    public void MarkVersionNeedWeak_TruncatedElf_ThrowsWithoutWriting()
    {
        var path = Path.Combine(_dir, "truncated.so");
        var head = File.ReadAllBytes(PackageLibrary()).AsSpan(0, 4096).ToArray();
        File.WriteAllBytes(path, head);

        var e = Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.MarkVersionNeedWeak(path, "GLIBCXX_3.4.32"));

        Assert.Contains("section header table", e.Message);
        Assert.Equal(head, File.ReadAllBytes(path));
    }

    [Fact]
    public void DefinesVersion_TorchSharpLibrary_FalseForGlibcxx()
    {
        Assert.False(ElfVersionNeedPatcher.DefinesVersion(PackageLibrary(), "GLIBCXX_3.4.30"));
    }

    [Fact]
    public void DefinesVersion_SystemLibstdcxx_DefinesGlibcxx3430()
    {
        var system = ElfVersionNeedPatcher.SystemLibstdcxxCandidates.FirstOrDefault(File.Exists);
        if (system is null) return; // no system libstdc++ in the usual folders: nothing to check

        Assert.True(ElfVersionNeedPatcher.DefinesVersion(system!, "GLIBCXX_3.4.30"));
        Assert.True(ElfVersionNeedPatcher.DefinesVersion(system!, "GLIBCXX_3.4"));
        Assert.False(ElfVersionNeedPatcher.DefinesVersion(system!, "GLIBCXX_99.0"));
    }

    [Fact]
    public void SystemProvidesVersion_NoCandidateExists_False()
    {
        Assert.False(ElfVersionNeedPatcher.SystemProvidesVersion("GLIBCXX_3.4", [Path.Combine(_dir, "absent.so")]));
    }

    [Fact]
    public void BuildOutput_LibLibTorchSharp_IsPatchedWhenSystemLacksVersion()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return; // the ELF fix applies to Linux only
        var output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var needed = !ElfVersionNeedPatcher.SystemProvidesVersion("GLIBCXX_3.4.32", ElfVersionNeedPatcher.SystemLibstdcxxCandidates);

        var need = ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(output), output).Single(n => n.Name == "GLIBCXX_3.4.32");

        Assert.Equal(needed, (need.Flags & ElfVersionNeedPatcher.VerFlagWeak) != 0);
    }
}
