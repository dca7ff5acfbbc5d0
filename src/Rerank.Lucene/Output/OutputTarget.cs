using Rerank.Lucene.Indexing;

namespace Rerank.Lucene.Output;

/// <summary>
/// The one rule every writer of user-visible output follows before it writes:
/// <list type="number">
/// <item>a path that does not exist, or an empty folder, may always be written;</item>
/// <item>an existing path that holds output of the same <see cref="OutputKind"/> (and nothing else) is
/// replaced only when the caller passes <c>overwrite</c> (<c>--overwrite</c> on the command line);</item>
/// <item>anything else (a folder holding a file this library did not write, a file of another format)
/// is never replaced, not even with <c>overwrite</c>.</item>
/// </list>
/// The writers then write to a hidden temporary sibling and move it into place
/// (<see cref="AtomicFolder"/>, <see cref="AtomicFile"/>), so a failure leaves the old output or the new.
/// </summary>
public static class OutputTarget
{
    /// <summary>Files a Hugging Face cross-encoder or BERT folder written or read by this library may hold.</summary>
    public static IReadOnlySet<string> ModelFolderFiles { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "config.json", "model.safetensors", "pytorch_model.bin", "vocab.txt", "tokenizer.json",
        "tokenizer_config.json", "special_tokens_map.json", "README.md", "searchrerank.json",
    };

    /// <summary>
    /// Throws unless the folder <paramref name="path"/> may be written as <paramref name="kind"/>.
    /// </summary>
    /// <param name="path">The folder about to be written.</param>
    /// <param name="kind"><see cref="OutputKind.ModelFolder"/> or <see cref="OutputKind.Index"/>.</param>
    /// <param name="overwrite">Whether the caller allowed replacing output of the same kind.</param>
    /// <param name="option">The command-line option naming this path (e.g. <c>--output</c>), for messages.</param>
    /// <returns>True when the folder exists (empty, or the same kind with <paramref name="overwrite"/>).</returns>
    /// <exception cref="InvalidInputException">The path is a file; the folder holds something that is not
    /// this kind of output; or it is this kind and <paramref name="overwrite"/> is false.</exception>
    public static bool CheckFolder(string path, OutputKind kind, bool overwrite, string option = "--output")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (kind is not (OutputKind.ModelFolder or OutputKind.Index)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a folder kind");
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        RefuseLink(path, full, option);
        if (File.Exists(full))
        {
            throw new InvalidInputException($"'{path}' is a file, not a folder; refusing to replace it. Choose another {option} folder.", path);
        }
        if (!Directory.Exists(full)) return false;
        var entries = Directory.EnumerateFileSystemEntries(full).ToList();
        if (entries.Count == 0) return true;

        var what = Describe(kind);
        var (marker, isOwn) = kind == OutputKind.ModelFolder
            ? ("config.json", (Func<string, bool>)IsModelFolderEntry)
            : (IndexManifest.FileName, IsIndexEntry);
        var foreign = entries.FirstOrDefault(e => !isOwn(e));
        if (!File.Exists(Path.Combine(full, marker)) || foreign is not null)
        {
            var reason = foreign is not null
                ? $"it holds '{Path.GetFileName(foreign)}'{(Directory.Exists(foreign) ? " (a folder)" : "")}, which is not part of {what}"
                : $"it is not {what} (no {marker})";
            throw new InvalidInputException(
                $"'{path}' already exists and {reason}; refusing to replace it, even with --overwrite, so that nothing of yours is deleted. "
                + $"Choose a new or empty {option} folder.", path);
        }
        if (!overwrite)
        {
            throw new InvalidInputException(
                $"'{path}' already holds {what}. Pass --overwrite to replace it, or choose another {option} folder.", path);
        }
        return true;
    }

    /// <summary>
    /// Throws unless the file <paramref name="path"/> may be written as <paramref name="kind"/>.
    /// An existing empty file counts as the same kind.
    /// </summary>
    /// <param name="path">The file about to be written.</param>
    /// <param name="kind"><see cref="OutputKind.RunFile"/> or <see cref="OutputKind.MinedFile"/>.</param>
    /// <param name="overwrite">Whether the caller allowed replacing a file of the same kind.</param>
    /// <param name="option">The command-line option naming this path (e.g. <c>--run</c>), for messages.</param>
    /// <exception cref="InvalidInputException">The path is a folder; the file is of another format; or it is
    /// of this kind and <paramref name="overwrite"/> is false.</exception>
    public static void CheckFile(string path, OutputKind kind, bool overwrite, string option)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (kind is not (OutputKind.RunFile or OutputKind.MinedFile)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a file kind");
        if (path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar))
            throw new InvalidInputException($"'{path}' ends with a slash; {option} needs a file path. Choose a file name such as {Example(kind)}.", path);
        var full = Path.GetFullPath(path);
        RefuseLink(path, full, option);
        if (Directory.Exists(full))
        {
            throw new InvalidInputException($"'{path}' is a folder; {option} needs a file path. Choose a file name such as {Example(kind)}.", path);
        }
        if (!File.Exists(full)) return;
        if (!IsRegularFile(full))
            throw new InvalidInputException($"'{path}' is not a regular file (a device, pipe or socket); refusing to replace it. Choose another {option} file.", path);
        var first = FirstLine(full);
        var own = first is null || (kind == OutputKind.RunFile ? IsRunLine(first) : IsMinedLine(first));
        if (!own)
        {
            throw new InvalidInputException(
                $"'{path}' already exists and is not {Describe(kind)} (its first line starts '{Shorten(first!)}'); refusing to replace it, "
                + $"even with --overwrite. Choose another {option} file.", path);
        }
        if (!overwrite)
        {
            throw new InvalidInputException(
                $"'{path}' already exists ({Describe(kind)}). Pass --overwrite to replace it, or choose another {option} file.", path);
        }
    }

    /// <summary>
    /// A symbolic link is never written through or replaced: the write lock and the kind check would see the
    /// link's name, not what it points to, and the swap would turn the link into a real folder or file.
    /// </summary>
    private static void RefuseLink(string path, string full, string option)
    {
        FileSystemInfo info = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
        if (info.Exists && info.LinkTarget is { } target)
            throw new InvalidInputException($"'{path}' is a symbolic link (to '{target}'); refusing to write through it. Pass the real path as {option}.", path);
    }

    /// <summary>
    /// Whether <paramref name="full"/> (which exists) is a regular file and not a character or block device, a
    /// pipe or a socket, which a rename would replace (as root, even /dev/null). .NET has no API for the file
    /// type, so on Unix this asks stat(1) (GNU coreutils, on every Linux); it never opens the file, which for a
    /// pipe would block. Where stat cannot be run, the file counts as regular.
    /// </summary>
    private static bool IsRegularFile(string full)
    {
        if (OperatingSystem.IsWindows()) return true;
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-L", "-c", "%F", full])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null) return true;
            var type = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode != 0 || type is "regular file" or "regular empty file";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return true;
        }
    }

    private static string Describe(OutputKind kind) => kind switch
    {
        OutputKind.ModelFolder => "a model folder",
        OutputKind.Index => "a SearchRerank index",
        OutputKind.RunFile => "a TREC run file",
        _ => "a file of mined training groups",
    };

    private static string Example(OutputKind kind) => kind == OutputKind.RunFile ? "bm25.run" : "mined.jsonl";

    private static bool IsModelFolderEntry(string entry) =>
        File.Exists(entry) && ModelFolderFiles.Contains(Path.GetFileName(entry));

    /// <summary>Lucene's own files (segments, <c>_N.*</c> segment files, the write lock), the manifest and the document vectors.</summary>
    /// <summary>
    /// Refuses to update the index folder <paramref name="indexDir"/> in place when it holds anything an index does not
    /// (a folder, a file of the user's): an update writes the new generation into a new folder and swaps it in, so what it
    /// does not know would be left behind and lost.
    /// </summary>
    /// <exception cref="InvalidInputException">The first such entry, and how to keep it.</exception>
    public static void RequireOnlyIndexEntries(string indexDir)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(indexDir));
        var foreign = Directory.EnumerateFileSystemEntries(full).Order(StringComparer.Ordinal).FirstOrDefault(e => !IsIndexEntry(e));
        if (foreign is null) return;
        throw new InvalidInputException(
            $"Index '{indexDir}' holds '{Path.GetFileName(foreign)}'{(Directory.Exists(foreign) ? " (a folder)" : "")}, which is not part of a SearchRerank index. "
            + "An update or delete (index --update, delete) writes the index anew and swaps it in, so it would be lost: move it out of the index folder, then run the command again.", foreign);
    }

    private static bool IsIndexEntry(string entry)
    {
        if (!File.Exists(entry)) return false;
        var name = Path.GetFileName(entry);
        return name == IndexManifest.FileName || name == "write.lock" || name.StartsWith("segments", StringComparison.Ordinal)
            || name.StartsWith('_') || name is Embedding.DocumentVectors.DataFile or Embedding.DocumentVectors.HeaderFile
            or Embedding.PassageEmbedding.CountsFile;
    }

    /// <summary>The first non-blank line of a file (at most 4 KB of it), or null for an empty file.</summary>
    private static string? FirstLine(string path)
    {
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        var buffer = new char[4096];
        var read = reader.ReadBlock(buffer, 0, buffer.Length);
        foreach (var line in new string(buffer, 0, read).Split('\n'))
        {
            if (line.Trim().Length > 0) return line.TrimEnd('\r');
        }
        return null;
    }

    /// <summary>Six whitespace-separated columns, the second "Q0" (or "q0"), rank an integer, score a number.</summary>
    private static bool IsRunLine(string line)
    {
        var cols = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return cols.Length == 6 && cols[1].Equals("Q0", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(cols[3], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out _)
            && double.TryParse(cols[4], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);
    }

    /// <summary>The line start <c>--write-mined</c> writes: a JSON object whose first key is "query_id".</summary>
    private static bool IsMinedLine(string line) =>
        System.Text.RegularExpressions.Regex.IsMatch(line, "^\\s*\\{\\s*\"query_id\"\\s*:");

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
