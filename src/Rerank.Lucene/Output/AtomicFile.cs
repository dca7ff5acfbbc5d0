namespace Rerank.Lucene.Output;

/// <summary>
/// A file written under a hidden temporary name beside its target and renamed into place by
/// <see cref="Commit"/>; disposing without committing deletes the temporary file, so a failed or
/// cancelled write leaves the old file (or none), never an empty or partial one.
/// </summary>
/// <example>
/// <code>
/// OutputTarget.CheckFile("bm25.run", OutputKind.RunFile, overwrite: false, "--run");
/// using var file = AtomicFile.Create("bm25.run");
/// file.Writer.WriteLine("q1 Q0 d7 1 12.500000 bm25");
/// file.Commit();
/// </code>
/// </example>
public sealed class AtomicFile : IDisposable
{
    private readonly string _temp;
    private Action? _recheck;
    private bool _committed;

    private AtomicFile(string target, string temp, StreamWriter writer)
    {
        Target = target;
        _temp = temp;
        Writer = writer;
    }

    /// <summary>The final path.</summary>
    public string Target { get; }

    /// <summary>UTF-8 (no byte order mark), LF line ends.</summary>
    public StreamWriter Writer { get; }

    /// <summary>
    /// Checks that <paramref name="path"/> may be written as <paramref name="kind"/> (<see cref="OutputTarget.CheckFile"/>),
    /// opens a temporary file beside it, and checks again right before <see cref="Commit"/> renames it into place:
    /// a file that appeared at the path meanwhile is never replaced unless it is of the same kind and overwriting was allowed.
    /// </summary>
    /// <exception cref="InvalidInputException">The path may not be written, or its folder cannot be.</exception>
    public static AtomicFile Create(string path, OutputKind kind, bool overwrite, string option)
    {
        OutputTarget.CheckFile(path, kind, overwrite, option);
        var file = Create(path);
        file._recheck = () => OutputTarget.CheckFile(path, kind, overwrite, option);
        return file;
    }

    /// <summary>Opens a temporary file beside <paramref name="path"/> (creating its folder); the caller has checked the path.</summary>
    /// <exception cref="InvalidInputException">The folder cannot be created or written.</exception>
    public static AtomicFile Create(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(dir);
            var writer = new StreamWriter(temp, append: false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
            return new AtomicFile(full, temp, writer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"Cannot write '{path}': {e.Message}. Choose a writable path.", path, inner: e);
        }
    }

    /// <summary>Flushes and renames the temporary file over the target.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        Writer.Flush();
        Writer.BaseStream.Flush();
        Writer.Dispose();
        _recheck?.Invoke();
        File.Move(_temp, Target, overwrite: true);
        _committed = true;
    }

    /// <summary>Deletes the temporary file unless <see cref="Commit"/> ran.</summary>
    public void Dispose()
    {
        if (_committed) return;
        Writer.Dispose();
        try { File.Delete(_temp); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        _committed = true;
    }
}
