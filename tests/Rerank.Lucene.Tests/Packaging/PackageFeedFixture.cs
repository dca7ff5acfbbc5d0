using System.Reflection;
using System.Text.RegularExpressions;

namespace Rerank.Lucene.Tests.Packaging;

/// <summary>
/// Packs src/Rerank.Lucene (<c>dotnet pack --no-build</c>, the configuration these tests were built in)
/// into a local feed in a temporary folder outside the repository, and writes that folder's
/// <c>nuget.config</c>: the local feed plus nuget.org, its own global packages folder (so a package
/// packed by an earlier run under the same version is never reused), and this machine's global
/// packages folder as a read-only fallback (TorchSharp and libtorch are not copied again).
/// </summary>
public sealed class PackageFeedFixture : IAsyncLifetime
{
    /// <summary>The package id.</summary>
    public const string PackageId = "SearchRerank.Lucene";

    /// <summary>The temporary folder: nuget.config, feed/, packages/ and the consumer projects.</summary>
    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"searchrerank-consumer-{Guid.NewGuid():N}");

    /// <summary>The local feed folder holding the packed .nupkg.</summary>
    public string Feed => Path.Combine(Root, "feed");

    /// <summary>The consumers' own global packages folder.</summary>
    public string Packages => Path.Combine(Root, "packages");

    /// <summary>The packed package file.</summary>
    public string Package { get; private set; } = "";

    /// <summary>Its version, read from the file name.</summary>
    public string Version { get; private set; } = "";

    /// <summary>What <c>dotnet pack</c> printed.</summary>
    internal ProcessResult PackResult { get; private set; } = null!;

    /// <summary>The environment every consumer build and run gets.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Packages };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        var configuration = typeof(PackageFeedFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var project = Path.Combine(TestPaths.RepoRoot, "src", "Rerank.Lucene", "Rerank.Lucene.csproj");
        // The library was built (in this configuration) before these tests, as their dependency.
        PackResult = await DotnetCommand.Dotnet(TestPaths.RepoRoot, new Dictionary<string, string?>(),
            "pack", project, "-c", configuration, "--no-build", "-o", Feed);
        if (PackResult.ExitCode != 0) throw new InvalidOperationException($"dotnet pack failed:\n{PackResult}");

        Package = Directory.GetFiles(Feed, $"{PackageId}.*.nupkg").Single();
        Version = Regex.Match(Path.GetFileName(Package), $@"^{Regex.Escape(PackageId)}\.(.+)\.nupkg$").Groups[1].Value;

        var machinePackages = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } fromEnv
            ? fromEnv
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <fallbackPackageFolders>
                <clear />
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
    }

    /// <summary>A new empty folder under <see cref="Root"/>.</summary>
    public string NewFolder(string name)
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}
