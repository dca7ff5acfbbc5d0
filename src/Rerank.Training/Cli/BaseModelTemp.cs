using System.Diagnostics;
using System.Globalization;

namespace Rerank.Training.Cli;

/// <summary>
/// The temporary base-model folder <c>rerank-train-minilm-PID</c> (in the system temp folder) that a
/// run without <c>--base</c> imports the bundled MiniLM encoder into. The run deletes it when it ends,
/// also when cancelled; folders of runs that were killed are deleted by the next run.
/// </summary>
internal static class BaseModelTemp
{
    private const string Prefix = "rerank-train-minilm-";

    /// <summary>This process's folder.</summary>
    public static string ForThisProcess =>
        Path.Combine(Path.GetTempPath(), Prefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    /// <summary>Deletes a folder, best effort.</summary>
    public static void Delete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Deletes the folders of runs that are no longer running: real folders (not links) named exactly
    /// <c>rerank-train-minilm-PID</c> whose process is gone, or whose process id now belongs to a process
    /// started after the folder was made (the id was reused). Returns the folders deleted.
    /// </summary>
    /// <param name="tempRoot">Where to look; default the system temp folder.</param>
    public static IReadOnlyList<string> RemoveStale(string? tempRoot = null)
    {
        var root = new DirectoryInfo(tempRoot ?? Path.GetTempPath());
        var removed = new List<string>();
        if (!root.Exists) return removed;
        IEnumerable<DirectoryInfo> candidates;
        try
        {
            candidates = root.EnumerateDirectories(Prefix + "*").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return removed;
        }
        foreach (var dir in candidates)
        {
            var digits = dir.Name.AsSpan(Prefix.Length);
            if (digits.Length is 0 or > 9 || digits.IndexOfAnyExceptInRange('0', '9') >= 0) continue;
            if ((dir.Attributes & FileAttributes.ReparsePoint) != 0) continue;
            var pid = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
            if (pid == Environment.ProcessId || IsRunningSince(pid, dir.CreationTimeUtc)) continue;
            Delete(dir.FullName);
            dir.Refresh();
            if (!dir.Exists) removed.Add(dir.FullName);
        }
        return removed;
    }

    /// <summary>Whether process <paramref name="pid"/> runs and was started before <paramref name="createdUtc"/> (with a little slack).</summary>
    private static bool IsRunningSince(int pid, DateTime createdUtc)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited) return false;
            return process.StartTime.ToUniversalTime() <= createdUtc + TimeSpan.FromSeconds(2);
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return true; // cannot tell: keep the folder
        }
    }
}
