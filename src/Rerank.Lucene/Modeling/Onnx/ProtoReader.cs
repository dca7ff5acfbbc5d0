namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>The protobuf wire types this reader understands (groups, 3 and 4, are refused).</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    Fixed32 = 5,
}

/// <summary>
/// A forward-only reader of the protobuf wire format over one message's bytes: a message is
/// a sequence of (tag, value) pairs where tag = (field number &lt;&lt; 3) | wire type. Nested
/// messages, strings, bytes and packed repeated scalars are length-delimited: a varint length
/// followed by that many bytes, returned here as a slice of the same buffer (no copy).
/// </summary>
/// <remarks>
/// Varints hold 7 bits per byte, least significant group first; the high bit says another
/// byte follows. Example: 300 = 0b1_0010_1100 is written AC 02 (0x2C | 0x80, then 0x02).
/// Negative int32/int64 values (not zigzag) are written as 10-byte varints of the
/// two's-complement 64-bit value, so casting the decoded <see cref="ulong"/> to
/// <see cref="long"/> gives them back.
/// </remarks>
internal struct ProtoReader
{
    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly long _baseOffset;
    private int _position;

    /// <summary>Reads <paramref name="buffer"/>; <paramref name="baseOffset"/> is its offset in the file, for messages.</summary>
    public ProtoReader(ReadOnlyMemory<byte> buffer, long baseOffset = 0)
    {
        _buffer = buffer;
        _baseOffset = baseOffset;
        _position = 0;
    }

    /// <summary>True when every byte has been consumed.</summary>
    public readonly bool AtEnd => _position >= _buffer.Length;

    /// <summary>The current offset from the start of the outermost buffer, for nested readers and messages.</summary>
    public readonly long Offset => _baseOffset + _position;

    /// <summary>Reads the next tag; false at the end of the message.</summary>
    public bool TryReadTag(out int field, out WireType wireType)
    {
        field = 0;
        wireType = default;
        if (AtEnd) return false;
        var start = Offset;
        var tag = ReadVarint();
        var wire = (int)(tag & 7);
        var number = tag >> 3;
        if (number == 0 || number > int.MaxValue) throw Malformed(start, $"field number {number} is out of range");
        if (wire is not (0 or 1 or 2 or 5)) throw Malformed(start, $"wire type {wire} (field {number}) is not supported");
        field = (int)number;
        wireType = (WireType)wire;
        return true;
    }

    /// <summary>Reads a base-128 varint of at most 10 bytes.</summary>
    public ulong ReadVarint()
    {
        var span = _buffer.Span;
        var start = Offset;
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= span.Length) throw Malformed(start, "varint runs past the end of the message");
            var b = span[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Malformed(start, "varint is longer than 10 bytes");
    }

    /// <summary>Reads a little-endian 32-bit value (wire type 5: fixed32, sfixed32, float).</summary>
    public uint ReadFixed32()
    {
        var bytes = Take(4, "fixed32");
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes.Span);
    }

    /// <summary>Reads a little-endian 64-bit value (wire type 1: fixed64, sfixed64, double).</summary>
    public ulong ReadFixed64()
    {
        var bytes = Take(8, "fixed64");
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes.Span);
    }

    /// <summary>Reads a length-delimited value and returns its bytes as a slice of the buffer.</summary>
    public ReadOnlyMemory<byte> ReadLengthDelimited()
    {
        var start = Offset;
        var length = ReadVarint();
        if (length > (ulong)(_buffer.Length - _position))
            throw Malformed(start, $"length {length} runs past the end of the message ({_buffer.Length - _position} bytes left)");
        return Take((int)length, "bytes");
    }

    /// <summary>Reads a nested message and returns a reader over it.</summary>
    public ProtoReader ReadMessage()
    {
        var bytes = ReadLengthDelimited();
        return new ProtoReader(bytes, Offset - bytes.Length);
    }

    /// <summary>Reads a length-delimited UTF-8 string.</summary>
    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadLengthDelimited().Span);

    /// <summary>Skips one value of the given wire type.</summary>
    public void Skip(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: Take(8, "fixed64"); break;
            case WireType.LengthDelimited: ReadLengthDelimited(); break;
            case WireType.Fixed32: Take(4, "fixed32"); break;
            default: throw Malformed(Offset, $"wire type {(int)wireType} is not supported");
        }
    }

    /// <summary>
    /// Reads one element, or all elements of a packed run, of a repeated varint field into
    /// <paramref name="target"/>: proto3 writes repeated scalars packed (wire type 2), older
    /// writers one tag per element (wire type 0); both are legal.
    /// </summary>
    public void ReadRepeatedVarint(WireType wireType, List<long> target)
    {
        if (wireType == WireType.Varint)
        {
            target.Add((long)ReadVarint());
            return;
        }
        RequireWireType(wireType, WireType.LengthDelimited, "repeated varint");
        var inner = ReadMessage();
        while (!inner.AtEnd) target.Add((long)inner.ReadVarint());
    }

    /// <summary>Reads one element, or a packed run, of a repeated float field.</summary>
    public void ReadRepeatedFloat(WireType wireType, List<float> target)
    {
        if (wireType == WireType.Fixed32)
        {
            target.Add(BitConverter.UInt32BitsToSingle(ReadFixed32()));
            return;
        }
        RequireWireType(wireType, WireType.LengthDelimited, "repeated float");
        var inner = ReadMessage();
        while (!inner.AtEnd) target.Add(BitConverter.UInt32BitsToSingle(inner.ReadFixed32()));
    }

    /// <summary>Throws unless <paramref name="actual"/> is <paramref name="expected"/>.</summary>
    public readonly void RequireWireType(WireType actual, WireType expected, string what)
    {
        if (actual != expected)
            throw Malformed(Offset, $"{what} has wire type {(int)actual}, expected {(int)expected}");
    }

    private ReadOnlyMemory<byte> Take(int count, string what)
    {
        if (_buffer.Length - _position < count)
            throw Malformed(Offset, $"{what} of {count} bytes runs past the end of the message");
        var slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }

    private static InvalidInputException Malformed(long offset, string detail) =>
        new($"Malformed protobuf at byte {offset}: {detail}. The ONNX file is truncated or not an ONNX model.");
}
