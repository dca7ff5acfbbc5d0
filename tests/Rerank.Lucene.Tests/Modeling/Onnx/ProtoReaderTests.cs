using Rerank.Lucene.Modeling.Onnx;

namespace Rerank.Lucene.Tests.Modeling.Onnx;

public class ProtoReaderTests
{
    [Theory]
    [InlineData(new byte[] { 0x00 }, 0UL)]
    [InlineData(new byte[] { 0x01 }, 1UL)]
    [InlineData(new byte[] { 0x7F }, 127UL)]
    [InlineData(new byte[] { 0x80, 0x01 }, 128UL)]
    [InlineData(new byte[] { 0xAC, 0x02 }, 300UL)]                 // 300 = 0b10_0101100: 0x2C|0x80, 0x02
    [InlineData(new byte[] { 0x80, 0x80, 0x01 }, 16384UL)]          // 2^14
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, 0xFFFFFFFFUL)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, ulong.MaxValue)] // int64 -1
    public void ReadVarint_EncodedBytes_ReturnsValue(byte[] bytes, ulong expected)
    {
        var reader = new ProtoReader(bytes);

        Assert.Equal(expected, reader.ReadVarint());
        Assert.True(reader.AtEnd);
    }

    [Fact]
    public void ReadVarint_NegativeInt64_CastsBack()
    {
        var reader = new ProtoReader(new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 });

        Assert.Equal(-2L, (long)reader.ReadVarint());
    }

    [Fact]
    public void ReadVarint_Truncated_ThrowsWithOffset()
    {
        var reader = new ProtoReader(new byte[] { 0x80, 0x80 });

        var ex = Assert.Throws<InvalidInputException>(() => reader.ReadVarint());
        Assert.Equal(
            "Malformed protobuf at byte 0: varint runs past the end of the message. The ONNX file is truncated or not an ONNX model.",
            ex.Message);
    }

    [Fact]
    public void ReadVarint_ElevenBytes_Throws()
    {
        var bytes = Enumerable.Repeat((byte)0x80, 10).Append((byte)0x01).ToArray();
        var reader = new ProtoReader(bytes);

        var ex = Assert.Throws<InvalidInputException>(() => reader.ReadVarint());
        Assert.Contains("varint is longer than 10 bytes", ex.Message);
    }

    [Fact]
    public void TryReadTag_FieldOneVarint150_ReadsTagAndValue()
    {
        // The protobuf documentation's example: field 1 = 150 is 08 96 01.
        var reader = new ProtoReader(new byte[] { 0x08, 0x96, 0x01 });

        Assert.True(reader.TryReadTag(out var field, out var wire));
        Assert.Equal(1, field);
        Assert.Equal(WireType.Varint, wire);
        Assert.Equal(150UL, reader.ReadVarint());
        Assert.False(reader.TryReadTag(out _, out _));
    }

    [Fact]
    public void TryReadTag_MultiByteFieldNumber_DecodesField()
    {
        // Field 20, wire type 0: (20 << 3) | 0 = 160 = 0xA0 0x01.
        var reader = new ProtoReader(new byte[] { 0xA0, 0x01, 0x05 });

        Assert.True(reader.TryReadTag(out var field, out var wire));
        Assert.Equal(20, field);
        Assert.Equal(WireType.Varint, wire);
        Assert.Equal(5UL, reader.ReadVarint());
    }

    [Fact]
    public void TryReadTag_GroupWireType_Throws()
    {
        var reader = new ProtoReader(new byte[] { 0x0B }); // field 1, wire type 3 (start group)

        var ex = Assert.Throws<InvalidInputException>(() => reader.TryReadTag(out _, out _));
        Assert.Contains("wire type 3 (field 1) is not supported", ex.Message);
    }

    [Fact]
    public void ReadMessage_Nested_ReadsInnerFieldsAndContinuesOuter()
    {
        byte[] bytes =
        [
            0x12, 0x09,                         // field 2, length-delimited, 9 bytes:
            0x0A, 0x02, (byte)'h', (byte)'i',   //   field 1 string "hi"
            0x1D, 0x00, 0x00, 0xC0, 0x3F,       //   field 3 fixed32 = 1.5f (0x3FC00000)
            0x18, 0x07,                         // field 3 varint 7
        ];
        var outer = new ProtoReader(bytes);

        Assert.True(outer.TryReadTag(out var f1, out var w1));
        Assert.Equal((2, WireType.LengthDelimited), (f1, w1));
        var inner = outer.ReadMessage();
        Assert.Equal(2, inner.Offset);
        Assert.True(inner.TryReadTag(out var f2, out _));
        Assert.Equal(1, f2);
        Assert.Equal("hi", inner.ReadString());
        Assert.True(inner.TryReadTag(out var f3, out var w3));
        Assert.Equal((3, WireType.Fixed32), (f3, w3));
        Assert.Equal(1.5f, BitConverter.UInt32BitsToSingle(inner.ReadFixed32()));
        Assert.True(inner.AtEnd);

        Assert.True(outer.TryReadTag(out var f4, out _));
        Assert.Equal(3, f4);
        Assert.Equal(7UL, outer.ReadVarint());
        Assert.True(outer.AtEnd);
    }

    [Fact]
    public void Skip_EveryWireType_LandsOnNextField()
    {
        byte[] bytes =
        [
            0x08, 0xAC, 0x02,                                     // field 1 varint 300
            0x11, 1, 2, 3, 4, 5, 6, 7, 8,                         // field 2 fixed64
            0x1A, 0x03, 9, 9, 9,                                  // field 3 bytes
            0x25, 1, 2, 3, 4,                                     // field 4 fixed32
            0x28, 0x2A,                                           // field 5 varint 42
        ];
        var reader = new ProtoReader(bytes);

        for (var i = 0; i < 4; i++)
        {
            Assert.True(reader.TryReadTag(out _, out var wire));
            reader.Skip(wire);
        }
        Assert.True(reader.TryReadTag(out var field, out _));
        Assert.Equal(5, field);
        Assert.Equal(42UL, reader.ReadVarint());
    }

    [Fact]
    public void ReadRepeatedVarint_PackedAndUnpacked_ReadsAllValues()
    {
        byte[] bytes =
        [
            0x0A, 0x04, 0x01, 0x96, 0x01, 0x03,   // field 1 packed: 1, 150, 3
            0x08, 0x80, 0x03,                     // field 1 unpacked: 384
        ];
        var reader = new ProtoReader(bytes);
        var values = new List<long>();

        while (reader.TryReadTag(out _, out var wire)) reader.ReadRepeatedVarint(wire, values);

        Assert.Equal([1L, 150L, 3L, 384L], values);
    }

    [Fact]
    public void ReadRepeatedFloat_Packed_ReadsLittleEndianFloats()
    {
        byte[] bytes = [0x22, 0x08, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]; // field 4: 1f, -2f
        var reader = new ProtoReader(bytes);
        var values = new List<float>();

        Assert.True(reader.TryReadTag(out _, out var wire));
        reader.ReadRepeatedFloat(wire, values);

        Assert.Equal([1f, -2f], values);
    }

    [Fact]
    public void ReadLengthDelimited_LengthPastEnd_Throws()
    {
        var reader = new ProtoReader(new byte[] { 0x0A, 0x05, 0x01, 0x02 });
        reader.TryReadTag(out _, out _);

        InvalidInputException? ex = null;
        try { reader.ReadLengthDelimited(); }
        catch (InvalidInputException e) { ex = e; }

        Assert.NotNull(ex);
        Assert.Equal(
            "Malformed protobuf at byte 1: length 5 runs past the end of the message (2 bytes left). The ONNX file is truncated or not an ONNX model.",
            ex.Message);
    }
}
