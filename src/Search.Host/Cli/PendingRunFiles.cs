using Rerank.Lucene;

namespace Search.Host.Cli;

/// <summary>
/// Run files written next to their destination under a temporary name and moved into place only by
/// <see cref="Commit"/>, when the whole evaluation has succeeded. On any failure (or cancellation) dispose
/// deletes them: no empty or partial run file is left behind, and an earlier file at the same path stays as it was.
/// </summary>
internal sealed class PendingRunFiles : IDisposable
{
    private readonly List<(string Target, string Temporary, StreamWriter Writer)> _files = [];
    private bool _committed;

    /// <summary>A writer for the run file <paramref name="path"/> (flag <paramref name="flag"/>), or a null writer when no path is given.</summary>
    public TextWriter Open(string? path, string flag)
    {
        if (path is null) return TextWriter.Null;
        var target = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.partial");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var writer = new StreamWriter(temporary) { NewLine = "\n" };
            _files.Add((target, temporary, writer));
            return writer;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"Cannot write the run file '{path}': {e.Message} Choose a writable path for {flag}.", path, inner: e);
        }
    }

    /// <summary>Closes every file and moves it to its destination, replacing an existing file there.</summary>
    public void Commit()
    {
        foreach (var (_, _, writer) in _files) writer.Dispose();
        foreach (var (target, temporary, _) in _files)
        {
            try
            {
                File.Move(temporary, target, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidInputException($"Cannot write the run file '{target}': {e.Message} Choose a writable file path.", target, inner: e);
            }
        }
        _committed = true;
    }

    public void Dispose()
    {
        if (_committed) return;
        foreach (var (_, temporary, writer) in _files)
        {
            writer.Dispose();
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
                // Best effort: a temporary file is never mistaken for a run (hidden name ending in .partial).
            }
        }
    }
}
