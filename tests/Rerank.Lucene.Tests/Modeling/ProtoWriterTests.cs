using Rerank.Lucene.Modeling.Onnx;

namespace Rerank.Lucene.Tests.Modeling;

public sealed class ProtoWriterTests
{
    [Fact]
    public void Varint_300_IsAC02()
    {
        // The protobuf documentation's example: field 1 = 150 is 08 96 01; 300 is AC 02.
        var w = new ProtoWriter();
        w.WriteVarint(1, 150);
        w.WriteVarint(2, 300);
        Assert.Equal(new byte[] { 0x08, 0x96, 0x01, 0x10, 0xAC, 0x02 }, w.ToArray());
    }

    [Fact]
    public void NegativeInt64_IsTenBytes_AndReadsBack()
    {
        var w = new ProtoWriter();
        w.WriteVarint(3, -1);
        var bytes = w.ToArray();
        Assert.Equal(11, bytes.Length); // tag + 10 bytes of two's complement
        var r = new ProtoReader(bytes);
        Assert.True(r.TryReadTag(out var field, out var wire));
        Assert.Equal((3, WireType.Varint), (field, wire));
        Assert.Equal(-1L, (long)r.ReadVarint());
    }

    [Fact]
    public void NestedMessage_StringFloatAndPacked_ReadBack()
    {
        var w = new ProtoWriter();
        w.WriteMessage(7, m =>
        {
            m.WriteString(1, "héllo");
            m.WriteFloat(2, 1.5f);
            m.WritePackedInt64(3, [1, 300, -2]);
        });
        var r = new ProtoReader(w.ToArray());
        Assert.True(r.TryReadTag(out var field, out _));
        Assert.Equal(7, field);
        var m = r.ReadMessage();
        Assert.True(m.TryReadTag(out field, out _));
        Assert.Equal("héllo", m.ReadString());
        Assert.True(m.TryReadTag(out field, out _));
        Assert.Equal(1.5f, BitConverter.UInt32BitsToSingle(m.ReadFixed32()));
        Assert.True(m.TryReadTag(out field, out var wire));
        var values = new List<long>();
        m.ReadRepeatedVarint(wire, values);
        Assert.Equal([1L, 300L, -2L], values);
        Assert.True(m.AtEnd);
        Assert.True(r.AtEnd);
    }
}
