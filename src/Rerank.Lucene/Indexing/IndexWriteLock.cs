using System.Globalization;
using System.Text;

namespace Rerank.Lucene.Indexing;

/// <summary>
/// One writer per index at a time: an OS lock on the hidden file <c>.NAME.lock</c> beside the index
/// folder <c>NAME</c>, holding the writer's process id. The operating system releases the lock when
/// the process ends, however it ends, so a killed build never blocks the next one; the file itself
/// is deleted when the lock is released normally, and a leftover of a killed run is simply taken over.
/// </summary>
/// <remarks>
/// The lock is a POSIX record lock (<see cref="FileStream.Lock"/>), which belongs to the process, so
/// holders inside this process are tracked here as well: a second build of the same index in the same
/// process is refused just like one in another process. Other processes read the holder's id from the
/// file, which is why it is not opened exclusively. (A record lock also ends when its process closes any
/// other handle to the same file, so nothing else in the process should open the lock file.)
/// </remarks>
public sealed class IndexWriteLock : IDisposable
{
    private static readonly Dictionary<string, IndexWriteLock> HeldHere = new(StringComparer.Ordinal);

    private readonly FileStream _stream;
    private int _released;

    private IndexWriteLock(string path, FileStream stream)
    {
        LockPath = path;
        _stream = stream;
    }

    /// <summary>The lock file, <c>.NAME.lock</c> beside the index folder.</summary>
    public string LockPath { get; }

    /// <summary>The lock file that guards <paramref name="indexDir"/>.</summary>
    public static string PathFor(string indexDir)
    {
        var target = Path.GetFullPath(indexDir).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(target) ?? throw new InvalidInputException(
            $"Expected an index folder below a parent folder, found '{indexDir}'. Choose a folder such as ./idx.", indexDir);
        return Path.Combine(parent, $".{Path.GetFileName(target)}.lock");
    }

    /// <summary>Takes the write lock of <paramref name="indexDir"/> without waiting; its parent folder must exist.</summary>
    /// <param name="indexDir">The index folder (it need not exist yet).</param>
    /// <returns>The lock; dispose it to release it.</returns>
    /// <exception cref="InvalidInputException">Another writer, in this or another process, holds the lock.</exception>
    public static IndexWriteLock Acquire(string indexDir) => Acquire(indexDir, "Index", "only one build or update of an index can run at a time");

    /// <summary>
    /// The same lock for another folder a program writes as a whole (e.g. rerank-train's model folder and its
    /// checkpoints), so two runs never write one output at once; <paramref name="what"/> and <paramref name="rule"/>
    /// word the message ("Model folder", "only one rerank-train run per --output at a time").
    /// </summary>
    public static IndexWriteLock Acquire(string indexDir, string what, string rule)
    {
        ArgumentNullException.ThrowIfNull(indexDir);
        var path = PathFor(indexDir);
        lock (HeldHere)
        {
            if (HeldHere.ContainsKey(path)) throw Busy(indexDir, Environment.ProcessId, what, rule);
            // A holder that deletes the file between our open and our lock leaves us a lock on a
            // file nobody else can see: detect that and start over on the new file.
            for (var attempt = 0; ; attempt++)
            {
                var stream = Open(path, indexDir, what, rule);
                if (IsUnlinked(stream) && attempt < 5)
                {
                    stream.Dispose();
                    continue;
                }
                stream.SetLength(0);
                var text = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n"));
                stream.Write(text);
                stream.Flush(flushToDisk: true);
                var held = new IndexWriteLock(path, stream);
                HeldHere[path] = held;
                return held;
            }
        }
    }

    /// <summary>Releases the lock and deletes the lock file.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1) return;
        lock (HeldHere)
        {
            // Delete while still holding the lock, so nobody takes over a file that is about to go.
            try
            {
                File.Delete(LockPath);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
            _stream.Dispose();
            HeldHere.Remove(LockPath);
        }
    }

    /// <summary>Opens and locks the lock file, or throws naming the holder.</summary>
    private static FileStream Open(string path, string indexDir, string what, string rule)
    {
        if (OperatingSystem.IsMacOS())
        {
            // No record locks there: an exclusive open (flock) guards, and the holder's id cannot be read.
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                throw Busy(indexDir, null, what, rule);
            }
        }
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new InvalidInputException(
                $"Cannot create the lock file '{path}' beside index '{indexDir}': {e.Message} Choose an --index folder in a writable place.", indexDir, inner: e);
        }
        try
        {
            stream.Lock(0, 1);
            return stream;
        }
        catch (IOException)
        {
            var holder = ReadHolder(stream);
            stream.Dispose();
            throw Busy(indexDir, holder, what, rule);
        }
    }

    private static InvalidInputException Busy(string indexDir, int? pid, string what, string rule) => new(
        $"{what} '{indexDir}' is being written by another process ({(pid is { } p ? $"pid {p}" : "pid unknown")}); {rule}. " +
        "Wait for it to finish (or stop it), then run again.", indexDir);

    private static int? ReadHolder(FileStream stream)
    {
        try
        {
            stream.Position = 0;
            var buffer = new byte[32];
            var n = stream.Read(buffer);
            var first = Encoding.UTF8.GetString(buffer, 0, n).Split('\n')[0].Trim();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>On Linux, whether the open file has been deleted (its /proc/self/fd link says so).</summary>
    private static bool IsUnlinked(FileStream stream)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var link = new FileInfo($"/proc/self/fd/{stream.SafeFileHandle.DangerousGetHandle()}").LinkTarget;
            return link is not null && link.EndsWith(" (deleted)", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
