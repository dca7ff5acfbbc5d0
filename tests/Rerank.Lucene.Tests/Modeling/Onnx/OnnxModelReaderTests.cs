using System.Text;
using Rerank.Lucene.Modeling.Onnx;

namespace Rerank.Lucene.Tests.Modeling.Onnx;

public class OnnxModelReaderTests
{
    // Hand encoding: a tag byte is (field << 3) | wire for fields below 16; a length below
    // 128 is one byte, below 16384 two: low 7 bits | 0x80, then the rest.
    private static byte[] Ld(int field, params byte[][] parts)
    {
        var body = parts.SelectMany(p => p).ToArray();
        Assert.True(field < 16 && body.Length < 16384, "hand encoding covers one-byte tags and lengths below 16384");
        byte[] length = body.Length < 128 ? [(byte)body.Length] : [(byte)(body.Length & 0x7F | 0x80), (byte)(body.Length >> 7)];
        return [(byte)((field << 3) | 2), .. length, .. body];
    }

    private static byte[] Str(int field, string s) => Ld(field, Encoding.UTF8.GetBytes(s));

    private static byte[] Varint(int field, byte value) => [(byte)(field << 3), value];

    [Fact]
    public void ReadGraph_HandBuiltModel_ReadsNodesInitializersAndIo()
    {
        byte[] model =
        [
            .. Varint(1, 7),                                           // ir_version 7 (skipped)
            .. Str(2, "test"),                                          // producer_name (skipped)
            .. Ld(7,
                Ld(1, Str(1, "x"), Str(1, "w"), Str(2, "y"), Str(3, "mm"), Str(4, "MatMul")),
                Ld(1, Str(2, "c"), Str(4, "Constant"),
                    Ld(5, Str(1, "value"), [0xA0, 0x01, 0x04],          // attribute type (field 20) = TENSOR
                        Ld(5, Varint(2, 1), [0x4A, 0x04, 0x00, 0x00, 0x00, 0x3F]))), // FLOAT scalar 0.5 as raw_data
                Ld(1, Str(1, "y"), Str(2, "z"), Str(4, "Transpose"),
                    Ld(5, Str(1, "perm"), [0xA0, 0x01, 0x07], Ld(8, [0x01, 0x00]))), // ints packed: 1, 0
                Ld(5, Varint(1, 2), Varint(1, 3), Varint(2, 1), Str(8, "w"),
                    Ld(4, [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40, 0, 0, 0xA0, 0x40, 0, 0, 0xC0, 0x40])),
                Ld(5, Varint(1, 2), Varint(2, 7), Str(8, "shape"), Ld(7, [0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])),
                Ld(11, Str(1, "x")),
                Ld(12, Str(1, "z"))),
        ];

        var graph = OnnxModelReader.ReadGraph(model);

        Assert.Equal(["MatMul", "Constant", "Transpose"], graph.Nodes.Select(n => n.OpType));
        var mm = graph.Nodes[0];
        Assert.Equal("mm", mm.Name);
        Assert.Equal(["x", "w"], mm.Inputs);
        Assert.Equal(["y"], mm.Outputs);
        Assert.Equal(0.5f, graph.ConstantOf("c")!.ToScalarFloat());
        Assert.Equal([1L, 0L], graph.Nodes[2].Attributes["perm"].Ints);
        Assert.Equal(7, graph.Nodes[2].Attributes["perm"].Type);

        var w = graph.Initializers["w"];
        Assert.Equal([2L, 3L], w.Dims);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], w.ToFloat32());
        Assert.Equal([12L, -1L], graph.Initializers["shape"].ToInt64());
        Assert.Equal(["x"], graph.InputNames);
        Assert.Equal(["z"], graph.OutputNames);
        Assert.Same(mm, graph.ProducerOf("y"));
        Assert.Equal(["Transpose"], graph.ConsumersOf("y").Select(n => n.OpType));
        Assert.Null(graph.ProducerOf("x"));
    }

    [Fact]
    public void ReadGraph_NoGraphField_Throws()
    {
        var ex = Assert.Throws<InvalidInputException>(() => OnnxModelReader.ReadGraph(new byte[] { 0x08, 0x07 }));

        Assert.Equal("The ONNX model has no graph (ModelProto field 7).", ex.Message);
    }

    [Fact]
    public void ToFloat32_RawDataOfWrongLength_Throws()
    {
        byte[] model = [.. Ld(7, Ld(5, Varint(1, 2), Varint(2, 1), Str(8, "w"), Ld(9, [0, 0, 0x80, 0x3F])))];
        var graph = OnnxModelReader.ReadGraph(model);

        var ex = Assert.Throws<InvalidInputException>(() => graph.Initializers["w"].ToFloat32());

        Assert.Equal("ONNX tensor 'w' with dims [2] has 4 raw_data bytes, expected 8.", ex.Message);
    }
}
