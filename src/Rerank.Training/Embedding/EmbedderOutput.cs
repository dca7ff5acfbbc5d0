using Rerank.Lucene;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Output;

namespace Rerank.Training.Embedding;

/// <summary>
/// <see cref="OutputTarget"/>'s rule for a sentence-transformers embedder folder, which <see cref="OutputTarget.CheckFolder"/>
/// (knowing cross-encoder folders only) would never let be replaced: a new or empty folder may always be written; a folder
/// that is recognisably an embedder folder (a <c>modules.json</c>, and nothing but the files and module folders
/// <see cref="TrainableBiEncoder.Save"/> writes or sentence-transformers keeps beside them) is replaced only with overwrite;
/// anything else, such as a folder of the user's files, never is.
/// </summary>
internal static class EmbedderOutput
{
    /// <summary>
    /// Files an embedder folder may hold at its root: the Hugging Face model files (<see cref="OutputTarget.ModelFolderFiles"/>)
    /// and sentence-transformers' own (<c>modules.json</c>, <c>sentence_bert_config.json</c>, <c>config_sentence_transformers.json</c>).
    /// </summary>
    private static readonly HashSet<string> RootFiles = new(StringComparer.Ordinal)
    {
        SentenceTransformersFolder.ModulesFile, SentenceTransformersFolder.SentenceBertConfigFile, "config_sentence_transformers.json",
    };

    /// <summary>The module folders of a sentence-transformers embedder (pooling, normalisation); each holds at most its <c>config.json</c>.</summary>
    private static readonly HashSet<string> ModuleFolders = new(StringComparer.Ordinal) { TrainableBiEncoder.PoolingFolder, TrainableBiEncoder.NormalizeFolder };

    /// <summary>Throws unless the folder <paramref name="path"/> may be written as an embedder folder.</summary>
    /// <param name="path">The folder about to be written.</param>
    /// <param name="overwrite">Whether the caller allowed replacing an embedder folder.</param>
    /// <param name="option">The option naming this path (e.g. <c>--ft-output</c>), for messages.</param>
    /// <param name="overwriteOption">The option that allows replacing it (e.g. <c>--ft-overwrite</c>), for messages.</param>
    /// <returns>True when the folder exists (empty, or an embedder folder with <paramref name="overwrite"/>).</returns>
    /// <exception cref="InvalidInputException">The path is a file or a symbolic link; the folder holds something that is not
    /// part of an embedder folder; or it is one and <paramref name="overwrite"/> is false.</exception>
    public static bool CheckFolder(string path, bool overwrite, string option, string overwriteOption)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        FileSystemInfo info = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
        if (info.Exists && info.LinkTarget is { } target)
            throw new InvalidInputException($"'{path}' is a symbolic link (to '{target}'); refusing to write through it. Pass the real path as {option}.", path);
        if (File.Exists(full))
            throw new InvalidInputException($"'{path}' is a file, not a folder; refusing to replace it. Choose another {option} folder.", path);
        if (!Directory.Exists(full)) return false;
        var entries = Directory.EnumerateFileSystemEntries(full).Order(StringComparer.Ordinal).ToList();
        if (entries.Count == 0) return true;

        var foreign = entries.FirstOrDefault(e => !IsEmbedderEntry(e));
        if (foreign is not null || !File.Exists(Path.Combine(full, SentenceTransformersFolder.ModulesFile)))
        {
            var part = foreign is null ? null : ForeignPart(foreign);
            var reason = part is not null
                ? $"it holds '{Path.GetRelativePath(full, part)}'{(Directory.Exists(part) ? " (a folder)" : "")}, which is not part of a sentence-transformers embedder folder"
                : $"it is not a sentence-transformers embedder folder (no {SentenceTransformersFolder.ModulesFile})";
            throw new InvalidInputException(
                $"'{path}' already exists and {reason}; refusing to replace it, even with {overwriteOption}, so that nothing of yours is deleted. " +
                $"Choose a new or empty {option} folder.", path);
        }
        if (!overwrite)
            throw new InvalidInputException($"'{path}' already holds a sentence-transformers embedder folder. Pass {overwriteOption} to replace it, or choose another {option} folder.", path);
        return true;
    }

    private static bool IsEmbedderEntry(string entry)
    {
        var name = Path.GetFileName(entry);
        if (File.Exists(entry)) return RootFiles.Contains(name) || OutputTarget.ModelFolderFiles.Contains(name);
        return ModuleFolders.Contains(name) && ModuleFolderForeignEntry(entry) is null;
    }

    /// <summary>The first entry of a module folder that is not its config.json (null when there is none).</summary>
    private static string? ModuleFolderForeignEntry(string folder) =>
        Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal).FirstOrDefault(e => !(File.Exists(e) && Path.GetFileName(e) == "config.json"));

    /// <summary>What to name for a refused root entry: the entry itself, or the first foreign entry inside a module folder.</summary>
    private static string ForeignPart(string entry) =>
        Directory.Exists(entry) && ModuleFolders.Contains(Path.GetFileName(entry)) && ModuleFolderForeignEntry(entry) is { } inner ? inner : entry;
}
