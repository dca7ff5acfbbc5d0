using System.Collections;
using System.Text.Json;

namespace Rerank.Lucene.Indexing;

/// <summary>
/// Reads corpora lazily, one document at a time, validating as it goes: BEIR <c>corpus.jsonl</c>,
/// JSONL with chosen field names, or a folder of <c>.txt</c>/<c>.md</c> files.
/// Every problem is an <see cref="InvalidInputException"/> that names the file and line and the fix:
/// invalid UTF-8, malformed JSON, a missing id or text field, a duplicate id, an empty document,
/// a missing file or folder.
/// </summary>
/// <example>
/// <code>
/// var docs = CorpusReader.Read("/data/scifact/corpus.jsonl");   // BEIR field names
/// var manifest = IndexBuilder.Build(docs, "./idx", new IndexOptions());
/// </code>
/// </example>
public static class CorpusReader
{
    /// <summary>
    /// Reads <paramref name="path"/>: a folder with <see cref="ReadFolder"/>, a file with <see cref="ReadJsonl"/>.
    /// </summary>
    /// <param name="path">A JSONL file or a folder of text files.</param>
    /// <param name="options">JSONL field names; null for the BEIR names. Ignored for folders.</param>
    /// <returns>A lazy sequence; the file is opened when it is enumerated, and re-read on each enumeration.</returns>
    /// <exception cref="InvalidInputException">The path does not exist (thrown at once).</exception>
    public static IEnumerable<CorpusDocument> Read(string path, CorpusReaderOptions? options = null) =>
        Directory.Exists(path) ? ReadFolder(path) : ReadJsonl(path, options);

    /// <summary>
    /// Reads a JSONL corpus: one JSON object per line; blank lines are skipped. The id may be a string
    /// or a number; title and text must be strings or null (null or absent title = empty title).
    /// </summary>
    /// <param name="path">The JSONL file.</param>
    /// <param name="options">Field names; null for the BEIR names <c>_id</c>, <c>title</c>, <c>text</c>.</param>
    /// <returns>A lazy sequence of documents in file order.</returns>
    /// <exception cref="InvalidInputException">The file does not exist (thrown at once), or, during enumeration,
    /// a line is not valid UTF-8 or JSON, lacks the id or text field, repeats an id, or has neither title nor text.</exception>
    public static IEnumerable<CorpusDocument> ReadJsonl(string path, CorpusReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new InvalidInputException(
                $"Corpus file '{path}' does not exist: expected a BEIR corpus.jsonl, a JSONL file or a folder of .txt/.md files. Check the --corpus path.",
                path);
        }
        options ??= new CorpusReaderOptions();
        var leftOut = new LeftOutFields();
        var position = new CorpusPosition();
        return new CorpusSequence(
            $"JSONL corpus {Path.GetFullPath(path)} (id '{options.IdField}', title '{options.TitleField ?? "(none)"}', text '{options.TextField}')",
            () => ReadJsonlCore(path, options, leftOut, position),
            ct => CountNonBlankLines(path, ct))
        {
            KeepFields = options.KeepFields,
            LeftOut = leftOut,
            Position = position,
        };
    }

    /// <summary>
    /// Reads every <c>.txt</c> and <c>.md</c> file under <paramref name="folder"/> (recursively, in ordinal order
    /// of relative path). Id: the relative path without extension, with '/' separators (e.g. <c>notes/tea</c>).
    /// A <c>.txt</c> file has an empty title and its whole content as text. A <c>.md</c> file's title is its
    /// first non-empty line with leading '#' and spaces removed, and its text is everything after that line,
    /// so the heading is not counted twice in a flat index. Line ends are normalised to "\n".
    /// </summary>
    /// <param name="folder">The folder.</param>
    /// <param name="skipInvalid">Leave out the files <see cref="CheckFolder"/> reports instead of stopping at the first.</param>
    /// <returns>A lazy sequence of documents.</returns>
    /// <exception cref="InvalidInputException">The folder does not exist (thrown at once), or, during enumeration and
    /// unless <paramref name="skipInvalid"/>, a file is not valid UTF-8, is empty, cannot be read, has a path with
    /// whitespace or control characters (its id), or two files map to the same id (e.g. <c>a.txt</c> and <c>a.md</c>).</exception>
    public static IEnumerable<CorpusDocument> ReadFolder(string folder, bool skipInvalid = false)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            throw new InvalidInputException(
                $"Corpus folder '{folder}' does not exist: expected a folder of .txt/.md files. Check the --corpus path.", folder);
        }
        var position = new CorpusPosition();
        return new CorpusSequence(
            $"folder of .txt/.md files {Path.GetFullPath(folder)}",
            () => ReadFolderCore(folder, skipInvalid, position),
            _ => ListFolder(folder).Count);
    }

    private static IEnumerable<CorpusDocument> ReadJsonlCore(string path, CorpusReaderOptions options, LeftOutFields leftOut, CorpusPosition position)
    {
        leftOut.Clear();
        position.Current = null;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (n, line) in Utf8LineReader.ReadLines(path, "Corpus file", "a JSON-lines corpus, one document per line"))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var doc = ParseLine(path, n, line, options, leftOut);
            if (doc is null) continue; // empty, and the caller chose SkipEmpty
            if (seen.TryGetValue(doc.Id, out var first))
            {
                throw new InvalidInputException(
                    $"{path} line {n}: duplicate document id '{doc.Id}', first seen on line {first}. Document ids must be unique: remove or rename one of them.",
                    path, n);
            }
            seen.Add(doc.Id, n);
            position.Current = $"{path} line {n}";
            yield return doc;
        }
    }

    private static CorpusDocument? ParseLine(string path, int n, string line, CorpusReaderOptions options, LeftOutFields leftOut)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException(
                $"{path} line {n}: expected one JSON object per line, found malformed JSON (error at byte {(e.BytePositionInLine ?? 0) + 1}). Fix or remove that line.",
                path, n, e);
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidInputException(
                    $"{path} line {n}: expected one JSON object per line, found {JsonKinds.Describe(root.ValueKind)}. Fix or remove that line.", path, n);
            }
            var id = root.TryGetProperty(options.IdField, out var idValue) ? idValue.ValueKind switch
            {
                JsonValueKind.String => Text(path, n, options.IdField, idValue),
                JsonValueKind.Number => idValue.GetRawText(),
                _ => throw WrongType(path, n, options.IdField, "a string or number", idValue.ValueKind),
            } : throw MissingField(path, n, "id", options.IdField, root, "--id-field");
            if (id.Length == 0)
            {
                throw new InvalidInputException(
                    $"{path} line {n}: expected a non-empty id in field '{options.IdField}', found an empty string. Give the document an id or remove the line.",
                    path, n);
            }
            if (IndexFields.TooLongTerm(id) is { } idBytes)
                throw new InvalidInputException($"{path} line {n}: " + IndexFields.TooLongMessage($"the document id in field '{options.IdField}'", idBytes, keyword: false), path, n);
            if (IdRules.Problem(id) is { } problem)
            {
                throw new InvalidInputException(
                    $"{path} line {n}: the document id {IdRules.Quote(id)} in field '{options.IdField}' {problem}; run files and qrels separate columns by whitespace, " +
                    "so `search-host eval` could not write or match it. Change the id on that line (e.g. replace spaces with '_').",
                    path, n);
            }
            var title = options.TitleField is { } tf && root.TryGetProperty(tf, out var titleValue)
                ? StringOrEmpty(path, n, tf, titleValue)
                : "";
            var text = root.TryGetProperty(options.TextField, out var textValue)
                ? StringOrEmpty(path, n, options.TextField, textValue)
                : throw MissingField(path, n, "text", options.TextField, root, "--text-field");
            if (string.IsNullOrWhiteSpace(title) && string.IsNullOrWhiteSpace(text))
            {
                if (options.SkipEmpty) return null;
                throw new InvalidInputException(
                    $"{path} line {n}: document '{id}' is empty: expected a title or text, found neither. Remove the line, give the document some text, or pass --skip-empty to leave empty documents out.",
                    path, n);
            }
            return new CorpusDocument(id, title, text, KeptFields(path, n, id, root, options, leftOut));
        }
    }

    /// <summary>The fields of <paramref name="root"/> that <see cref="CorpusReaderOptions.KeepFields"/> keeps; null when none.</summary>
    private static Dictionary<string, JsonElement>? KeptFields(string path, int n, string id, JsonElement root, CorpusReaderOptions options, LeftOutFields leftOut)
    {
        if (options.KeepFields is { Count: 0 }) return null;
        Dictionary<string, JsonElement>? kept = null;
        foreach (var property in root.EnumerateObject())
        {
            var name = property.Name;
            if (name == options.IdField || name == options.TitleField || name == options.TextField) continue;
            var named = options.KeepFields is not null;
            if (named && !options.KeepFields!.Contains(name, StringComparer.Ordinal)) continue;
            var value = property.Value;
            if (!IsKeepable(value))
            {
                if (named && value.ValueKind != JsonValueKind.Null)
                {
                    throw new InvalidInputException(
                        $"{path} line {n}: field '{name}' (in --keep-fields) is {JsonKinds.Describe(value.ValueKind)}; a kept field must be a string, number, boolean "
                        + "or an array of those. Leave it out of --keep-fields, or flatten it in the corpus.", path, n);
                }
                // Left out, and counted so the caller can say so (a null is a missing value, not counted).
                if (value.ValueKind != JsonValueKind.Null)
                {
                    leftOut.Add(name, value.ValueKind != JsonValueKind.Array ? JsonKinds.Describe(value.ValueKind)
                        : value.GetArrayLength() == 0 ? "an empty array" : "an array with objects, arrays or nulls in it");
                }
                continue;
            }
            // A string is indexed whole as one keyword term: Lucene refuses one over its term limit (checked here, with the line).
            foreach (var item in value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToArray() : [value])
            {
                if (JsonKinds.TryGetString(item) is { } s && IndexFields.TooLongTerm(s) is { } bytes)
                    throw new InvalidInputException($"{path} line {n}: " + IndexFields.TooLongMessage($"field '{name}' of document '{id}'", bytes, keyword: true), path, n);
            }
            (kept ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal))[name] = value.Clone();
        }
        return kept;
    }

    private static bool IsScalar(JsonElement value) => value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False;

    private static bool IsKeepable(JsonElement value) => IsScalar(value)
        || (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0 && value.EnumerateArray().All(IsScalar));

    private static string StringOrEmpty(string path, int n, string field, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Text(path, n, field, value),
        JsonValueKind.Null => "",
        _ => throw WrongType(path, n, field, "a string", value.ValueKind),
    };

    private static string Text(string path, int n, string field, JsonElement value) =>
        JsonKinds.TryGetString(value) ?? throw new InvalidInputException(
            $"{path} line {n}: field '{field}' {JsonKinds.LoneSurrogate} on that line.", path, n);

    private static InvalidInputException MissingField(string path, int n, string role, string field, JsonElement root, string flag)
    {
        var names = root.EnumerateObject().Select(p => $"'{p.Name}'").ToList();
        var available = names.Count == 0 ? "none" : string.Join(", ", names);
        return new InvalidInputException(
            $"{path} line {n}: expected the {role} field '{field}', found only the fields {available}. "
            + $"Name the {role} field with {flag} (CorpusReaderOptions), or add '{field}' to every line.",
            path, n);
    }

    private static InvalidInputException WrongType(string path, int n, string field, string expected, JsonValueKind found) =>
        new($"{path} line {n}: expected field '{field}' to be {expected}, found {JsonKinds.Describe(found)}. Fix the value on that line.", path, n);

    private static IEnumerable<CorpusDocument> ReadFolderCore(string folder, bool skipInvalid, CorpusPosition position)
    {
        position.Current = null;
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, relative) in ListFolder(folder))
        {
            var (doc, problem) = ReadFolderFile(file, relative, seen);
            if (problem is not null)
            {
                if (skipInvalid) continue;
                throw problem;
            }
            position.Current = file;
            yield return doc!;
        }
    }

    /// <summary>
    /// Reads every <c>.txt</c> and <c>.md</c> file under <paramref name="folder"/> as <see cref="ReadFolder"/> does and
    /// returns one problem per file that cannot be indexed (not UTF-8, empty, unreadable, an id that run files cannot
    /// hold, an id taken by an earlier file), each message naming the file and the fix; empty when all are fine.
    /// </summary>
    /// <param name="folder">The folder.</param>
    /// <exception cref="InvalidInputException">The folder does not exist.</exception>
    public static IReadOnlyList<InvalidInputException> CheckFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            throw new InvalidInputException(
                $"Corpus folder '{folder}' does not exist: expected a folder of .txt/.md files. Check the --corpus path.", folder);
        }
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<InvalidInputException>();
        foreach (var (file, relative) in ListFolder(folder))
        {
            if (ReadFolderFile(file, relative, seen).Problem is { } problem) problems.Add(problem);
        }
        return problems;
    }

    /// <summary>One file of a folder corpus as a document, or the reason it cannot be one. <paramref name="seen"/>
    /// maps the ids of the files read so far to their paths; a good file is added.</summary>
    private static (CorpusDocument? Doc, InvalidInputException? Problem) ReadFolderFile(string file, string relative, Dictionary<string, string> seen)
    {
        var id = Path.ChangeExtension(relative, null)!.Replace(Path.DirectorySeparatorChar, '/');
        if (IdRules.Problem(id) is { } idProblem)
        {
            return (null, new InvalidInputException(
                $"{file}: the document id {IdRules.Quote(id)} (the path without extension) {idProblem}; run files and qrels separate columns by whitespace, " +
                "so `search-host eval` could not write or match it. Rename the file (e.g. replace spaces with '_').",
                file));
        }
        if (seen.TryGetValue(id, out var first))
        {
            return (null, new InvalidInputException(
                $"{file}: duplicate document id '{id}', also the id of '{first}'. Document ids come from file names without extension: rename one of the files.",
                file));
        }
        List<string> lines;
        try
        {
            lines = Utf8LineReader.ReadLines(file, "Document file", "a UTF-8 text file").Select(l => l.Text).ToList();
        }
        catch (InvalidInputException e)
        {
            return (null, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, new InvalidInputException($"Document file '{file}' cannot be read: {e.Message} Check that the file is readable.", file, null, e));
        }
        var title = "";
        var text = string.Join('\n', lines);
        if (file.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
        {
            var i = lines.FindIndex(l => !string.IsNullOrWhiteSpace(l));
            if (i >= 0)
            {
                title = lines[i].Trim().TrimStart('#').Trim();
                text = string.Join('\n', lines.Skip(i + 1)).Trim('\n');
            }
        }
        if (string.IsNullOrWhiteSpace(title) && string.IsNullOrWhiteSpace(text))
        {
            return (null, new InvalidInputException(
                $"{file}: document '{id}' is empty: expected a title or text, found neither. Remove the file or give it some text.",
                file, 1));
        }
        seen.Add(id, file);
        return (new CorpusDocument(id, title, text), null);
    }

    private static List<(string File, string Relative)> ListFolder(string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            .Select(f => (File: f, Relative: Path.GetRelativePath(folder, f)))
            .ToList();
        files.Sort((x, y) => string.CompareOrdinal(x.Relative, y.Relative));
        return files;
    }

    private static long CountNonBlankLines(string path, CancellationToken ct)
    {
        long count = 0;
        var blank = true;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            for (var i = 0; i < read; i++)
            {
                var b = buffer[i];
                if (b == (byte)'\n')
                {
                    if (!blank) count++;
                    blank = true;
                }
                else if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) blank = false;
            }
        }
        return blank ? count : count + 1;
    }

    /// <summary>A re-enumerable lazy corpus that knows its description and, cheaply, its size.</summary>
    internal sealed class CorpusSequence(string description, Func<IEnumerable<CorpusDocument>> open, Func<CancellationToken, long> count)
        : IEnumerable<CorpusDocument>
    {
        public string Description { get; } = description;

        /// <summary>The values left out of the kept fields in the last enumeration (objects, empty or nested arrays).</summary>
        public LeftOutFields LeftOut { get; init; } = new();

        /// <summary>The <see cref="CorpusReaderOptions.KeepFields"/> the documents were read with (null: all).</summary>
        public IReadOnlyList<string>? KeepFields { get; init; }

        /// <summary>Where the document last yielded came from ("FILE line N", or the file of a folder corpus), for messages.</summary>
        public CorpusPosition Position { get; init; } = new();

        /// <summary>Counts documents without parsing them (non-blank lines, or files); one extra pass over the input.</summary>
        public long CountDocuments(CancellationToken ct = default) => count(ct);

        public IEnumerator<CorpusDocument> GetEnumerator() => open().GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>The place in the input of the document a <see cref="CorpusSequence"/> yielded last.</summary>
    internal sealed class CorpusPosition
    {
        /// <summary>"FILE line N" for a JSONL corpus, the file's path for a folder corpus; null before the first document.</summary>
        public string? Current { get; set; }

        /// <summary>
        /// Names a document for messages: "document 'ID' (FILE line N)" when <paramref name="documents"/> is a corpus
        /// read from disk (whose last yielded document is <paramref name="doc"/>), else "document 'ID' (document
        /// <paramref name="ordinal"/> of <paramref name="source"/>)".
        /// </summary>
        public static string Describe(IEnumerable<CorpusDocument> documents, CorpusDocument doc, long ordinal, string source) =>
            (documents as CorpusSequence)?.Position.Current is { } at
                ? $"document '{doc.Id}' ({at})"
                : $"document '{doc.Id}' (document {ordinal} of {source})";
    }

    /// <summary>Counts of the field values a read left out of the kept fields, by field and kind of value.</summary>
    internal sealed class LeftOutFields
    {
        private readonly SortedDictionary<(string Field, string Kind), long> _counts = new();

        public bool IsEmpty => _counts.Count == 0;

        public void Clear() => _counts.Clear();

        public void Add(string field, string kind) => _counts[(field, kind)] = _counts.GetValueOrDefault((field, kind)) + 1;

        /// <summary>E.g. "metadata (an object) in 20 documents, tags (an empty array) in 1 document".</summary>
        public string Describe() => string.Join(", ", _counts.Select(c =>
            FormattableString.Invariant($"{c.Key.Field} ({c.Key.Kind}) in {c.Value:N0} document{(c.Value == 1 ? "" : "s")}")));
    }
}
