namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// Reads the graph of an ONNX model (a serialized <c>ModelProto</c>) with
/// <see cref="ProtoReader"/>: nodes, initializers and graph input/output names. Field numbers
/// follow onnx.proto: ModelProto.graph = 7; GraphProto node = 1, initializer = 5, input = 11,
/// output = 12; NodeProto input = 1, output = 2, name = 3, op_type = 4, attribute = 5;
/// AttributeProto name = 1, f = 2, i = 3, s = 4, t = 5, ints = 8, type = 20; TensorProto
/// dims = 1, data_type = 2, float_data = 4, int64_data = 7, name = 8, raw_data = 9,
/// data_location = 14. Everything else is skipped. Tensor data stays a slice of
/// the model buffer, so the buffer must outlive the graph.
/// </summary>
internal static class OnnxModelReader
{
    /// <summary>Parses the graph of <paramref name="model"/>.</summary>
    /// <exception cref="InvalidInputException">The bytes are not a well-formed ONNX model with a graph.</exception>
    public static OnnxGraph ReadGraph(ReadOnlyMemory<byte> model)
    {
        var reader = new ProtoReader(model);
        OnnxGraph? graph = null;
        while (reader.TryReadTag(out var field, out var wire))
        {
            if (field == 7 && wire == WireType.LengthDelimited) graph = ReadGraphProto(reader.ReadMessage());
            else reader.Skip(wire);
        }
        return graph ?? throw new InvalidInputException("The ONNX model has no graph (ModelProto field 7).");
    }

    private static OnnxGraph ReadGraphProto(ProtoReader reader)
    {
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<string>();
        var outputs = new List<string>();
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    reader.RequireWireType(wire, WireType.LengthDelimited, "GraphProto.node");
                    nodes.Add(ReadNode(reader.ReadMessage()));
                    break;
                case 5:
                    reader.RequireWireType(wire, WireType.LengthDelimited, "GraphProto.initializer");
                    var tensor = ReadTensor(reader.ReadMessage());
                    if (!initializers.TryAdd(tensor.Name, tensor))
                        throw new InvalidInputException($"The ONNX graph has two initializers named '{tensor.Name}'.");
                    break;
                case 11:
                case 12:
                    reader.RequireWireType(wire, WireType.LengthDelimited, "GraphProto.input/output");
                    (field == 11 ? inputs : outputs).Add(ReadValueInfoName(reader.ReadMessage()));
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new OnnxGraph(nodes, initializers, inputs, outputs);
    }

    private static string ReadValueInfoName(ProtoReader reader)
    {
        var name = "";
        while (reader.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited) name = reader.ReadString();
            else reader.Skip(wire);
        }
        return name;
    }

    private static OnnxNode ReadNode(ProtoReader reader)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = "", opType = "";
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == WireType.LengthDelimited: inputs.Add(reader.ReadString()); break;
                case 2 when wire == WireType.LengthDelimited: outputs.Add(reader.ReadString()); break;
                case 3 when wire == WireType.LengthDelimited: name = reader.ReadString(); break;
                case 4 when wire == WireType.LengthDelimited: opType = reader.ReadString(); break;
                case 5 when wire == WireType.LengthDelimited:
                    var attribute = ReadAttribute(reader.ReadMessage());
                    attributes[attribute.Name] = attribute;
                    break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxNode(name, opType, inputs, outputs, attributes);
    }

    private static OnnxAttribute ReadAttribute(ProtoReader reader)
    {
        string name = "", text = "";
        var type = 0;
        var f = 0f;
        long i = 0;
        OnnxTensor? tensor = null;
        var ints = new List<long>();
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == WireType.LengthDelimited: name = reader.ReadString(); break;
                case 2 when wire == WireType.Fixed32: f = BitConverter.UInt32BitsToSingle(reader.ReadFixed32()); break;
                case 3 when wire == WireType.Varint: i = (long)reader.ReadVarint(); break;
                case 4 when wire == WireType.LengthDelimited: text = reader.ReadString(); break;
                case 5 when wire == WireType.LengthDelimited: tensor = ReadTensor(reader.ReadMessage()); break;
                case 8: reader.ReadRepeatedVarint(wire, ints); break;
                case 20 when wire == WireType.Varint: type = (int)reader.ReadVarint(); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxAttribute(name, type, f, i, text, tensor, ints);
    }

    private static OnnxTensor ReadTensor(ProtoReader reader)
    {
        var dims = new List<long>();
        var floats = new List<float>();
        var int64s = new List<long>();
        var name = "";
        var dataType = 0;
        var raw = ReadOnlyMemory<byte>.Empty;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1: reader.ReadRepeatedVarint(wire, dims); break;
                case 2 when wire == WireType.Varint: dataType = (int)reader.ReadVarint(); break;
                case 4: reader.ReadRepeatedFloat(wire, floats); break;
                case 7: reader.ReadRepeatedVarint(wire, int64s); break;
                case 8 when wire == WireType.LengthDelimited: name = reader.ReadString(); break;
                case 9 when wire == WireType.LengthDelimited: raw = reader.ReadLengthDelimited(); break;
                case 14 when wire == WireType.Varint:
                    if (reader.ReadVarint() == 1)
                        throw new InvalidInputException(
                            "The ONNX model keeps tensor data in external files, which this reader does not support; "
                            + "export it with all data in one .onnx file.");
                    break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxTensor(name, dataType, [.. dims], raw, [.. floats], [.. int64s]);
    }
}
