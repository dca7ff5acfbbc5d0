using System.Text;

namespace Rerank.Lucene.Indexing;

/// <summary>
/// Reads a file line by line, decoding each line with strict UTF-8 so that invalid bytes are
/// reported on the line where they are (a <see cref="StreamReader"/> decodes whole buffers and
/// would report the wrong line, or with its default encoding silently replace them).
/// A UTF-8 byte order mark at the start is skipped; "\r\n" and "\n" both end a line.
/// </summary>
internal sealed class Utf8LineReader : IDisposable
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly Stream _stream;
    private readonly string _path;
    private byte[] _line = new byte[256];
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _bufferPos;
    private int _bufferLen;
    private bool _first = true;

    public Utf8LineReader(string path)
    {
        _path = path;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
    }

    /// <summary>The 1-based number of the line last returned.</summary>
    public int LineNumber { get; private set; }

    /// <summary>The next line without its terminator, or null at the end of the file.</summary>
    public string? ReadLine()
    {
        var len = 0;
        var any = false;
        while (true)
        {
            if (_bufferPos == _bufferLen)
            {
                _bufferLen = _stream.Read(_buffer, 0, _buffer.Length);
                _bufferPos = 0;
                if (_bufferLen == 0) break;
            }
            any = true;
            var b = _buffer[_bufferPos++];
            if (b == (byte)'\n') break;
            if (len == _line.Length) Array.Resize(ref _line, _line.Length * 2);
            _line[len++] = b;
        }
        if (!any) return null;
        LineNumber++;
        var start = 0;
        if (_first)
        {
            _first = false;
            if (len >= 3 && _line[0] == 0xEF && _line[1] == 0xBB && _line[2] == 0xBF) start = 3;
        }
        if (len > start && _line[len - 1] == (byte)'\r') len--;
        try
        {
            return Strict.GetString(_line, start, len - start);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidInputException(
                $"{_path} line {LineNumber}: expected UTF-8 text, found invalid bytes ({FormatBytes(e.BytesUnknown)} at byte {e.Index + 1} of the line). "
                + "Re-save the file as UTF-8.", _path, LineNumber, e);
        }
    }

    private static string FormatBytes(byte[]? bytes) =>
        bytes is null ? "?" : string.Join(' ', bytes.Select(b => $"0x{b:X2}"));

    public void Dispose() => _stream.Dispose();
}
