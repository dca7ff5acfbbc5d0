using System.Globalization;

namespace Rerank.Training.Trainer;

/// <summary>
/// Versioned folders written atomically: the contents go to a hidden temporary folder beside the
/// target, which is then renamed (one rename(2) on the same file system) to <c>{prefix}-{step:D8}</c>.
/// Older versions are deleted only after the new one is in place, so at every moment the newest
/// complete folder is valid. Temporary leftovers of a killed run are never picked up and are swept
/// on the next save.
/// </summary>
internal sealed class CheckpointStore
{
    private const string TempMarker = ".tmp-";

    /// <summary>Creates a store rooted at <paramref name="root"/> (created on first save).</summary>
    public CheckpointStore(string root) => Root = root;

    /// <summary>The folder that holds the versions.</summary>
    public string Root { get; }

    /// <summary>Writes a new version and keeps at most <paramref name="keep"/> versions of this prefix.</summary>
    /// <param name="prefix">e.g. "checkpoint" or "best".</param>
    /// <param name="step">The version number.</param>
    /// <param name="writeContents">Writes the files into the folder it is given.</param>
    /// <param name="keep">Versions to keep, newest first (at least 1).</param>
    /// <returns>The final folder.</returns>
    public string Save(string prefix, int step, Action<string> writeContents, int keep = 1)
    {
        Directory.CreateDirectory(Root);
        foreach (var stale in Directory.GetDirectories(Root, TempMarker + prefix + "-*")) TryDelete(stale);
        var temp = Path.Combine(Root, $"{TempMarker}{prefix}-{step:D8}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            writeContents(temp);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        var final = Path.Combine(Root, $"{prefix}-{step:D8}");
        if (Directory.Exists(final))
        {
            // Same step saved again (e.g. a final save right after a periodic one): move the old
            // one aside first; the moment without `final` still has the older versions, if any.
            var aside = Path.Combine(Root, $"{TempMarker}{prefix}-old-{Guid.NewGuid():N}");
            Directory.Move(final, aside);
            Directory.Move(temp, final);
            TryDelete(aside);
        }
        else
        {
            Directory.Move(temp, final);
        }
        foreach (var old in List(prefix).Skip(Math.Max(1, keep))) TryDelete(old.Folder);
        return final;
    }

    /// <summary>The newest complete version of <paramref name="prefix"/>, or null.</summary>
    public string? Latest(string prefix) => List(prefix).Select(v => v.Folder).FirstOrDefault();

    /// <summary>Complete versions, newest first.</summary>
    public IReadOnlyList<(int Step, string Folder)> List(string prefix)
    {
        if (!Directory.Exists(Root)) return [];
        var result = new List<(int, string)>();
        foreach (var dir in Directory.GetDirectories(Root, prefix + "-*"))
        {
            var name = Path.GetFileName(dir);
            if (int.TryParse(name.AsSpan(prefix.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var step)) result.Add((step, dir));
        }
        return result.OrderByDescending(v => v.Item1).ToList();
    }

    /// <summary>
    /// Deletes every version of the <paramref name="prefixes"/> and every temporary folder of this store,
    /// then <see cref="Root"/> itself when that leaves it empty: nothing else in it is touched.
    /// </summary>
    public void RemoveAll(IReadOnlyList<string> prefixes)
    {
        if (!Directory.Exists(Root)) return;
        foreach (var prefix in prefixes)
        {
            foreach (var (_, folder) in List(prefix)) TryDelete(folder);
        }
        foreach (var temp in Directory.GetDirectories(Root, TempMarker + "*")) TryDelete(temp);
        try
        {
            if (!Directory.EnumerateFileSystemEntries(Root).Any()) Directory.Delete(Root);
        }
        catch (IOException)
        {
        }
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
