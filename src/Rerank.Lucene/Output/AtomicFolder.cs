namespace Rerank.Lucene.Output;

/// <summary>Writes a folder so that no reader ever sees it half-written.</summary>
public static class AtomicFolder
{
    /// <summary>
    /// <paramref name="write"/> fills a hidden staging folder beside <paramref name="target"/> (a rename stays
    /// on one file system), which is then moved into place. An existing target is renamed aside first and
    /// deleted last, and put back if the move fails, so a failure leaves the old or the new folder, never
    /// neither. The staging folder is removed on failure and on cancellation.
    /// </summary>
    /// <param name="target">The folder to create or replace. Callers check first, with
    /// <see cref="OutputTarget.CheckFolder"/>, that replacing it is allowed; <paramref name="recheck"/> runs
    /// again just before the move, since the folder may have appeared while writing.</param>
    /// <param name="write">Writes the contents into the staging folder it is given.</param>
    /// <param name="recheck">Called right before the swap (e.g. to re-run <see cref="OutputTarget.CheckFolder"/>).</param>
    /// <exception cref="InvalidInputException">The target is a file.</exception>
    public static void Write(string target, Action<string> write, Action? recheck = null)
    {
        ArgumentNullException.ThrowIfNull(write);
        target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        if (File.Exists(target)) throw new InvalidInputException($"'{target}' is a file, not a folder; remove it or choose another output.", target);
        var parent = Path.GetDirectoryName(target) ?? throw new InvalidInputException($"'{target}' has no parent folder.", target);
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            write(staging);
            recheck?.Invoke();
            string? aside = null;
            if (Directory.Exists(target))
            {
                aside = Path.Combine(parent, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}");
                Directory.Move(target, aside);
            }
            try
            {
                Directory.Move(staging, target);
            }
            catch when (aside is not null)
            {
                Directory.Move(aside, target);
                throw;
            }
            if (aside is not null) Directory.Delete(aside, recursive: true);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }
}
