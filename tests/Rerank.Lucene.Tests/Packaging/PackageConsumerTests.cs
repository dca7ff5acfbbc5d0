using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Tests.Cli;
using SearchRerank.Build;

namespace Rerank.Lucene.Tests.Packaging;

/// <summary>
/// The library as a user gets it: packed with <c>dotnet pack</c> into a local feed, added with
/// <c>dotnet add package</c> to console apps in a temporary folder outside the repository (so none of
/// this repository's Directory.Build.* or Directory.Packages.props applies), built, published and run
/// with the README's "Use the library" example on corpora/sample.
/// </summary>
public sealed class PackageConsumerTests(PackageFeedFixture feed) : IClassFixture<PackageFeedFixture>
{
    private const string Version32 = ElfVersionNeedPatcher.DefaultVersionName;

    /// <summary>Whether this machine's libstdc++ lacks GLIBCXX_3.4.32 (Debian 12): then the build must patch.</summary>
    private static readonly bool PatchNeeded = OperatingSystem.IsLinux()
        && !ElfVersionNeedPatcher.SystemProvidesVersion(Version32, ElfVersionNeedPatcher.SystemLibstdcxxCandidates);

    [Fact]
    public void Package_Nuspec_HasMetadataReadmeDocsAndTheElfFixAsBuildTransitive()
    {
        using var zip = ZipFile.OpenRead(feed.Package);
        var nuspec = XDocument.Load(zip.GetEntry($"{PackageFeedFixture.PackageId}.nuspec")!.Open());
        var ns = nuspec.Root!.Name.Namespace;
        var meta = nuspec.Root.Element(ns + "metadata")!;
        string Meta(string name) => meta.Element(ns + name)?.Value ?? "";

        Assert.Equal(PackageFeedFixture.PackageId, Meta("id"));
        var csproj = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "src", "Rerank.Lucene", "Rerank.Lucene.csproj"));
        Assert.Equal(csproj.Descendants("Version").Single().Value, Meta("version"));
        Assert.Equal(Meta("version"), feed.Version);
        Assert.Contains("cross-encoder", Meta("description"));
        Assert.DoesNotContain("Package Description", Meta("description"));
        Assert.NotEqual("", Meta("authors"));
        Assert.Equal("expression", meta.Element(ns + "license")!.Attribute("type")!.Value);
        Assert.NotEqual("", Meta("license"));
        Assert.Contains("rerank", Meta("tags").Split(' '));
        Assert.Contains("lucene", Meta("tags").Split(' '));
        Assert.Equal("git", meta.Element(ns + "repository")!.Attribute("type")!.Value);
        Assert.Equal("README.md", Meta("readme"));
        var dependencies = meta.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToList();
        Assert.Contains("TorchSharp", dependencies);
        Assert.Contains("libtorch-cpu-linux-x64", dependencies);
        Assert.Contains("Lucene.Net", dependencies);

        byte[] Entry(string name)
        {
            var entry = zip.GetEntry(name);
            Assert.True(entry is not null, $"{name} is not in the package: {string.Join(", ", zip.Entries.Select(e => e.FullName))}");
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }

        byte[] Repo(params string[] parts) => File.ReadAllBytes(Path.Combine([TestPaths.RepoRoot, .. parts]));
        Assert.Equal(Repo("src", "Rerank.Lucene", "README.md"), Entry("README.md"));
        Assert.Contains(ReadmeExample.Code, System.Text.Encoding.UTF8.GetString(Entry("README.md"))); // the example tested below
        // The same targets and task source the repository's own build imports: one implementation.
        Assert.Equal(Repo("build", "SearchRerank.Lucene.targets"), Entry("buildTransitive/SearchRerank.Lucene.targets"));
        Assert.Equal(Repo("build", "ElfVersionNeedPatcher.cs"), Entry("buildTransitive/ElfVersionNeedPatcher.cs"));
        var ownBuild = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "Directory.Build.targets"));
        Assert.Contains("<Import Project=\"$(MSBuildThisFileDirectory)build/SearchRerank.Lucene.targets\" />", ownBuild);
        Assert.DoesNotContain("PatchElfVersionNeed", ownBuild);
        Assert.NotEmpty(Entry("lib/net10.0/Rerank.Lucene.dll"));
        Assert.Contains("<member name=\"T:Rerank.Lucene.Reranking.CrossEncoder\">", System.Text.Encoding.UTF8.GetString(Entry("lib/net10.0/Rerank.Lucene.xml")));
        // Lean: no model inside.
        Assert.DoesNotContain(zip.Entries, e => e.FullName.EndsWith(".safetensors", StringComparison.Ordinal));
        Assert.True(new FileInfo(feed.Package).Length < 5_000_000, $"package is {new FileInfo(feed.Package).Length} bytes");
    }

    [Fact]
    public async Task DirectReference_ReadmeExample_BuildsPatchedAndFindsTheRelevantSampleDocument()
    {
        var app = feed.NewFolder("app");
        await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), ConsoleProject());
        await AssertNoRepositoryBuildFilesApply(app, "App.csproj");

        var add = await DotnetCommand.Dotnet(app, feed.Environment, "add", "package", PackageFeedFixture.PackageId, "--version", feed.Version);
        Assert.True(add.ExitCode == 0, add.ToString());
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), ReadmeExample.Code);
        // The README example indexes corpus.jsonl only when idx is missing; here the index comes from the library first.
        IndexBuilder.Build(CorpusReader.ReadJsonl(SampleCorpus.Corpus), Path.Combine(app, "idx"), new IndexOptions());

        var build = await DotnetCommand.Dotnet(app, feed.Environment, "build", "-c", "Release", "--disable-build-servers");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains(" 0 Warning(s)", build.Output);
        var output = Path.Combine(app, "bin", "Release", "net10.0");
        AssertPatchedAsNeeded(Path.Combine(output, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));

        // The default reranker from $SEARCHRERANK_MODELS.
        var env = new Dictionary<string, string?>(feed.Environment) { ["SEARCHRERANK_MODELS"] = Path.Combine(TestPaths.RepoRoot, "models") };
        var run = await DotnetCommand.Dotnet(app, env, Path.Combine(output, "App.dll"));

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertFindsRelevantDocument(run);
    }

    [Fact]
    public async Task TransitiveReference_RidSpecificPublish_PatchedWithTheModelBesideTheProgram()
    {
        // A class library references the package; the program only references the library.
        var lib = feed.NewFolder("lib");
        await File.WriteAllTextAsync(Path.Combine(lib, "Lib.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <NuGetAudit>false</NuGetAudit>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{PackageFeedFixture.PackageId}" Version="{feed.Version}" />
              </ItemGroup>
            </Project>
            """);
        var app = feed.NewFolder("app-transitive");
        // The README's way to put the default reranker beside the program.
        var model = Path.Combine(TestPaths.RepoRoot, "models", "default-reranker");
        await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), ConsoleProject($"""
              <ItemGroup>
                <ProjectReference Include="../lib/Lib.csproj" />
              </ItemGroup>
              <ItemGroup>
                <None Include="{model}/**" LinkBase="models/default-reranker" CopyToOutputDirectory="PreserveNewest" CopyToPublishDirectory="PreserveNewest" />
              </ItemGroup>
            """));
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), ReadmeExample.Code);
        var publishDir = Path.Combine(feed.Root, "published");

        var publish = await DotnetCommand.Dotnet(app, feed.Environment,
            "publish", "-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-o", publishDir, "--disable-build-servers");

        Assert.True(publish.ExitCode == 0, publish.ToString());
        AssertPatchedAsNeeded(Path.Combine(publishDir, "libLibTorchSharp.so"));
        Assert.True(File.Exists(Path.Combine(publishDir, "models", "default-reranker", "model.safetensors")));

        // Run from another folder holding only corpus.jsonl: the example indexes it, then finds the model beside the program.
        var work = feed.NewFolder("work-transitive");
        File.Copy(SampleCorpus.Corpus, Path.Combine(work, "corpus.jsonl"));
        var run = await DotnetCommand.Run(Path.Combine(publishDir, "App"), work, feed.Environment, []);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(File.Exists(Path.Combine(work, "idx", IndexManifest.FileName)), "the example did not build idx");
        AssertFindsRelevantDocument(run);
    }

    [Fact]
    public async Task ElfFixTurnedOff_LoadsOnlyWhereTheSystemHasTheVersion_ElseTheMessageSaysWhatHelps()
    {
        var app = feed.NewFolder("app-elf-fix-off");
        await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), ConsoleProject($"""
              <PropertyGroup>
                <TorchSharpElfFix>never</TorchSharpElfFix>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{PackageFeedFixture.PackageId}" Version="{feed.Version}" />
              </ItemGroup>
            """));
        // The example with the TorchSharp engine: ONNX Runtime, its default on the CPU, never loads libTorchSharp.
        const string defaultLoad = "CrossEncoder.Load(DefaultReranker.Locate())";
        Assert.Contains(defaultLoad, ReadmeExample.Code);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"),
            ReadmeExample.Code.Replace(defaultLoad, "CrossEncoder.Load(DefaultReranker.Locate(), new CrossEncoderOptions { Engine = InferenceEngine.TorchSharp })", StringComparison.Ordinal));
        File.Copy(SampleCorpus.Corpus, Path.Combine(app, "corpus.jsonl"));

        var build = await DotnetCommand.Dotnet(app, feed.Environment, "build", "-c", "Release", "--disable-build-servers");
        Assert.True(build.ExitCode == 0, build.ToString());
        var output = Path.Combine(app, "bin", "Release", "net10.0");
        var library = Path.Combine(output, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.Equal(0, WeakFlag(library)); // left as the package ships it
        var env = new Dictionary<string, string?>(feed.Environment) { ["SEARCHRERANK_MODELS"] = Path.Combine(TestPaths.RepoRoot, "models") };
        var run = await DotnetCommand.Dotnet(app, env, Path.Combine(output, "App.dll"));

        if (PatchNeeded)
        {
            Assert.True(run.ExitCode != 0, run.ToString());
            // Our diagnosis first, then the loader's own words. The loader is asked before TorchSharp, whose fallback would print its
            // trace to standard output and copy libtorch from the NuGet cache into the program's folder.
            var diagnosis = run.Error.IndexOf($"TorchSharp's native library could not be loaded. The copy at {library} still requires {Version32}", StringComparison.Ordinal);
            var loader = run.Error.IndexOf("\nThe dynamic loader says: ", StringComparison.Ordinal);
            Assert.True(diagnosis >= 0 && diagnosis < loader, run.ToString());
            Assert.Contains($"version `{Version32}' not found", run.Error[loader..]);
            Assert.Contains("buildTransitive/SearchRerank.Lucene.targets", run.Error[diagnosis..loader]);
            Assert.DoesNotContain("LoadNativeBackend", run.Output + run.Error);
            Assert.False(Directory.Exists(Path.Combine(output, "cpu")));
        }
        else
        {
            Assert.True(run.ExitCode == 0, run.ToString());
            AssertFindsRelevantDocument(run);
        }
    }

    [Fact]
    public async Task LibTorchExcluded_ReadmeExample_RunsWithoutIt()
    {
        // README, "An app that only searches can leave libtorch out": a direct reference without assets overrides the package's.
        var props = await File.ReadAllTextAsync(Path.Combine(TestPaths.RepoRoot, "Directory.Packages.props"));
        var libtorchVersion = Regex.Match(props, @"Include=""libtorch-cpu-linux-x64"" Version=""([^""]+)""").Groups[1].Value;
        Assert.NotEqual("", libtorchVersion);
        var app = feed.NewFolder("app-without-libtorch");
        await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), ConsoleProject($"""
              <ItemGroup>
                <PackageReference Include="{PackageFeedFixture.PackageId}" Version="{feed.Version}" />
                <PackageReference Include="libtorch-cpu-linux-x64" Version="{libtorchVersion}" ExcludeAssets="all" />
              </ItemGroup>
            """));
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), ReadmeExample.Code);
        File.Copy(SampleCorpus.Corpus, Path.Combine(app, "corpus.jsonl"));

        var build = await DotnetCommand.Dotnet(app, feed.Environment, "build", "-c", "Release", "--disable-build-servers");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains(" 0 Warning(s)", build.Output);
        var output = Path.Combine(app, "bin", "Release", "net10.0");
        var natives = Directory.GetFiles(output, "*.so*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains("libonnxruntime.so", natives);
        Assert.DoesNotContain(natives, n => n!.StartsWith("libtorch", StringComparison.Ordinal) || n.StartsWith("libc10", StringComparison.Ordinal));
        var env = new Dictionary<string, string?>(feed.Environment) { ["SEARCHRERANK_MODELS"] = Path.Combine(TestPaths.RepoRoot, "models") };
        var run = await DotnetCommand.Dotnet(app, env, Path.Combine(output, "App.dll"));

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertFindsRelevantDocument(run);
        Assert.False(Directory.Exists(Path.Combine(output, "cpu")), "TorchSharp's fallback copied libtorch into the program's folder");
    }

    /// <summary>
    /// A console project that treats warnings as errors, so the package must build without any. NuGet's
    /// vulnerability audit is off: advisories published later about some dependency are not what this checks.
    /// </summary>
    private static string ConsoleProject(string more = "") => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
            <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
            <NuGetAudit>false</NuGetAudit>
          </PropertyGroup>
        {more}
        </Project>
        """;

    /// <summary>MSBuild finds none of the repository's Directory.Build.props/.targets or Directory.Packages.props.</summary>
    private async Task AssertNoRepositoryBuildFilesApply(string folder, string project)
    {
        Assert.False(Path.GetFullPath(folder).StartsWith(TestPaths.RepoRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        var result = await DotnetCommand.Dotnet(folder, feed.Environment, "msbuild", project,
            "-getProperty:DirectoryBuildPropsPath", "-getProperty:DirectoryBuildTargetsPath", "-getProperty:DirectoryPackagesPropsPath");
        Assert.True(result.ExitCode == 0, result.ToString());
        var properties = JsonDocument.Parse(result.Output).RootElement.GetProperty("Properties");
        Assert.Equal("", properties.GetProperty("DirectoryBuildPropsPath").GetString());
        Assert.Equal("", properties.GetProperty("DirectoryBuildTargetsPath").GetString());
        Assert.Equal("", properties.GetProperty("DirectoryPackagesPropsPath").GetString());
    }

    private static int WeakFlag(string library)
    {
        Assert.True(File.Exists(library), $"{library} is missing");
        var need = ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(library), library).Single(n => n.Name == Version32);
        return need.Flags & ElfVersionNeedPatcher.VerFlagWeak;
    }

    /// <summary>Patched where this system needs it; left as shipped where its libstdc++ has the version (auto mode).</summary>
    private static void AssertPatchedAsNeeded(string library) =>
        Assert.Equal(PatchNeeded ? ElfVersionNeedPatcher.VerFlagWeak : 0, WeakFlag(library));

    /// <summary>
    /// The example prints "RANK. DOCID TITLE (BM25 rank N)" lines for its query, one of corpora/sample's
    /// queries; a document judged 2 (answers the query) for it must be in the top 3.
    /// </summary>
    private static void AssertFindsRelevantDocument(ProcessResult run)
    {
        var hits = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => Regex.Match(line, @"^(\d+)\. (\S+) .+ \(BM25 rank (\d+)\)$"))
            .ToList();
        Assert.True(hits.Count >= 3 && hits.All(m => m.Success), run.ToString());
        Assert.Equal(Enumerable.Range(1, hits.Count), hits.Select(m => int.Parse(m.Groups[1].Value)));
        var corpusIds = CorpusReader.ReadJsonl(SampleCorpus.Corpus).Select(d => d.Id).ToHashSet();
        var ids = hits.Select(m => m.Groups[2].Value).ToList();
        Assert.All(ids, id => Assert.Contains(id, corpusIds));
        Assert.Equal(ids.Count, ids.Distinct().Count());

        var answers = QrelsReader.Read(SampleCorpus.Qrels).Judgments(ReadmeExample.SampleQueryId)
            .Where(j => j.Value >= 2).Select(j => j.Key).ToList();
        Assert.NotEmpty(answers);
        Assert.True(ids.Take(3).Intersect(answers).Any(), $"none of {string.Join(", ", answers)} in the top 3:\n{run}");
    }
}

/// <summary>The README's "Use the library" example, as a program's whole Program.cs.</summary>
internal static class ReadmeExample
{
    /// <summary>The first csharp block of README.md's "### Use the library" section.</summary>
    public static string Code { get; } = ExtractCode();

    /// <summary>The id of the corpora/sample query the example searches for.</summary>
    public static string SampleQueryId { get; } = FindQueryId();

    private static string ExtractCode()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var section = readme.IndexOf("### Use the library", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no '### Use the library' section");
        var match = Regex.Match(readme[section..], "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(match.Success, "no csharp block in README.md's 'Use the library' section");
        return match.Groups[1].Value;
    }

    private static string FindQueryId()
    {
        var query = Regex.Match(Code, @"\.Search\(""([^""]+)""").Groups[1].Value;
        var sample = QueryFileReader.Read(SampleCorpus.Queries).SingleOrDefault(q => q.Text == query);
        Assert.True(sample is not null, $"the README example's query '{query}' should be one of corpora/sample's queries");
        return sample.Id;
    }
}
