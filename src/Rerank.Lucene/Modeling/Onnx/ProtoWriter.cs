using System.Buffers.Binary;
using System.Text;

namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// Writes one protobuf message in the wire format <see cref="ProtoReader"/> reads: (tag, value) pairs,
/// tag = (field number &lt;&lt; 3) | wire type. Nested messages are written by a child writer and
/// emitted length-delimited (<see cref="WriteMessage"/>). Only what ONNX models need is here: varints
/// (int32/int64/enums; negatives as 10-byte two's complement), fixed32 floats, bytes and strings.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _stream = new();

    /// <summary>Bytes written so far.</summary>
    public long Length => _stream.Length;

    /// <summary>A varint field (int32, int64, bool or enum).</summary>
    public void WriteVarint(int field, long value)
    {
        WriteTag(field, WireType.Varint);
        WriteRawVarint((ulong)value);
    }

    /// <summary>A fixed32 float field.</summary>
    public void WriteFloat(int field, float value)
    {
        WriteTag(field, WireType.Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _stream.Write(bytes);
    }

    /// <summary>A UTF-8 string field.</summary>
    public void WriteString(int field, string value) => WriteBytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public void WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, WireType.LengthDelimited);
        WriteRawVarint((ulong)value.Length);
        _stream.Write(value);
    }

    /// <summary>A packed repeated int64 field (one length-delimited run of varints).</summary>
    public void WritePackedInt64(int field, IReadOnlyList<long> values)
    {
        var packed = new ProtoWriter();
        foreach (var value in values) packed.WriteRawVarint((ulong)value);
        WriteBytes(field, packed.ToArray());
    }

    /// <summary>A nested message field: <paramref name="build"/> writes its fields.</summary>
    public void WriteMessage(int field, Action<ProtoWriter> build)
    {
        var child = new ProtoWriter();
        build(child);
        WriteTag(field, WireType.LengthDelimited);
        WriteRawVarint((ulong)child._stream.Length);
        child._stream.Position = 0;
        child._stream.CopyTo(_stream);
    }

    /// <summary>The message's bytes.</summary>
    public byte[] ToArray() => _stream.ToArray();

    private void WriteTag(int field, WireType wireType)
    {
        if (field <= 0) throw new ArgumentOutOfRangeException(nameof(field), field, "Protobuf field numbers start at 1.");
        WriteRawVarint(((ulong)field << 3) | (uint)wireType);
    }

    private void WriteRawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _stream.WriteByte((byte)value);
    }
}
