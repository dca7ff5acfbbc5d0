namespace Rerank.Lucene.Tests;

/// <summary>
/// Locates the repository root (for <c>corpora/</c>) and the shared datasets
/// (<c>../shared/datasets</c> beside the repository, or <c>SEARCHRERANK_DATASETS</c>).
/// Tests that need real data call <see cref="DatasetOrNull"/> and skip when it is null.
/// </summary>
internal static class TestPaths
{
    /// <summary>The folder that holds <c>SearchRerank.sln</c>.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The shared datasets folder, or null when it is not present on this machine.</summary>
    public static string? DatasetsRoot { get; } = FindDatasets();

    /// <summary>The message a test prints when it skips for lack of the shared datasets.</summary>
    public const string NoDatasetsMessage =
        "shared datasets not found: set SEARCHRERANK_DATASETS or place shared/datasets beside the repository";

    /// <summary>The folder of one named dataset (e.g. "scifact"), or null when absent.</summary>
    public static string? DatasetOrNull(string name)
    {
        if (DatasetsRoot is null) return null;
        var dir = Path.Combine(DatasetsRoot, name);
        return Directory.Exists(dir) ? dir : null;
    }

    /// <summary>A fresh empty temporary folder, unique per call.</summary>
    public static string NewTempDir(string prefix = "srr")
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SearchRerank.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"SearchRerank.sln not found above {AppContext.BaseDirectory}");
    }

    private static string? FindDatasets()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SEARCHRERANK_DATASETS");
        if (!string.IsNullOrEmpty(fromEnv)) return Directory.Exists(fromEnv) ? fromEnv : null;
        for (var dir = new DirectoryInfo(RepoRoot); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "datasets");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}
