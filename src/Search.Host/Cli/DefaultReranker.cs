namespace Search.Host.Cli;

/// <summary>
/// Finds the project's default reranker, <c>models/default-reranker</c>, in the working folder or
/// the nearest parent that has one (so it works from a clone's root and from its subfolders).
/// </summary>
internal static class DefaultReranker
{
    /// <summary>The folder name, relative to the repository root.</summary>
    public static readonly string RelativePath = Path.Combine("models", "default-reranker");

    /// <summary>The default model folder, or null when there is none.</summary>
    public static string? Find(string? startFolder = null)
    {
        for (var dir = new DirectoryInfo(startFolder ?? Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativePath);
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>What to do when the default model is missing or damaged.</summary>
    public const string RebuildHint =
        "Rebuild it with the command in models/default-reranker/README.md (rerank-train on the public collections' train splits), " +
        "restore it with `git checkout -- models/default-reranker`, or pass --reranker DIR.";
}
