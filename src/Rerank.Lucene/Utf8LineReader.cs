using System.Buffers;
using System.Text.Unicode;

namespace Rerank.Lucene;

/// <summary>One line of a text file: its 1-based number and its text without the line end.</summary>
internal readonly record struct TextLine(int Number, string Text);

/// <summary>
/// Reads a text file line by line as strict UTF-8, so that a bad byte is reported with the
/// line it is on (a <see cref="StreamReader"/> decodes ahead in blocks and cannot say which
/// line failed, and <see cref="File.ReadLines(string)"/> silently replaces bad bytes with U+FFFD).
/// Line ends are LF or CRLF; a UTF-8 byte order mark on the first line is dropped. Every text
/// input of the library and the trainer (corpora, queries, qrels, runs, training JSON lines) is
/// read through it.
/// </summary>
internal static class Utf8LineReader
{
    private const int ChunkSize = 1 << 16;

    /// <summary>
    /// Checks that <paramref name="path"/> is a readable file now, then returns its lines lazily.
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <param name="fileKind">How messages name the file, e.g. "Queries file".</param>
    /// <param name="expected">What the file should be, for the message when it is missing,
    /// e.g. "a BEIR queries.jsonl file".</param>
    public static IEnumerable<TextLine> ReadLines(string path, string fileKind, string expected)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw new InvalidInputException(
                $"{fileKind} '{path}' is a folder; expected {expected}. Pass the path of the file itself.", path);
        }
        if (!File.Exists(path))
        {
            throw new InvalidInputException(
                $"{fileKind} '{path}' does not exist; expected {expected}. Check the path.", path);
        }
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException(
                $"{fileKind} '{path}' cannot be read: {e.Message} Check that the file is readable.", path, null, e);
        }
        return Iterate(stream, path, fileKind);
    }

    private static IEnumerable<TextLine> Iterate(FileStream stream, string path, string fileKind)
    {
        using (stream)
        {
            var chunk = new byte[ChunkSize];
            var pending = new ArrayBufferWriter<byte>();
            var number = 0;
            int count;
            while ((count = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                var start = 0;
                while (start < count)
                {
                    var newline = Array.IndexOf(chunk, (byte)'\n', start, count - start);
                    if (newline < 0)
                    {
                        pending.Write(chunk.AsSpan(start, count - start));
                        break;
                    }
                    pending.Write(chunk.AsSpan(start, newline - start));
                    number++;
                    var text = Decode(pending.WrittenSpan, path, fileKind, number);
                    pending.ResetWrittenCount();
                    start = newline + 1;
                    yield return new TextLine(number, text);
                }
            }
            if (pending.WrittenCount > 0)
            {
                number++;
                yield return new TextLine(number, Decode(pending.WrittenSpan, path, fileKind, number));
            }
        }
    }

    private static string Decode(ReadOnlySpan<byte> bytes, string path, string fileKind, int number)
    {
        if (number == 1 && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r') bytes = bytes[..^1];
        // A UTF-8 sequence never decodes to more UTF-16 units than it has bytes.
        var chars = new char[bytes.Length];
        var status = Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            throw new InvalidInputException(
                $"{fileKind} '{path}', line {number}: expected UTF-8 text, found the byte 0x{bytes[read]:X2} " +
                $"at byte {read + 1} of the line, which is not valid UTF-8. Re-save the file as UTF-8.",
                path, number);
        }
        return new string(chars, 0, written);
    }

    /// <summary>Shortens a line for quoting in a message, so one bad line cannot flood a console.</summary>
    public static string Excerpt(string text)
    {
        const int max = 120;
        return text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "...");
    }

    /// <summary>Splits a line at runs of spaces and tabs, the column separator of qrels and run files.</summary>
    public static string[] Columns(string text) =>
        text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
}
