using System.Runtime.InteropServices;

namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>ONNX <c>TensorProto.DataType</c> codes used by the graphs we build.</summary>
internal enum OnnxElementType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
}

/// <summary>
/// Builds an ONNX <c>ModelProto</c> (IR version 8, default opset 17 plus <c>com.microsoft</c> 1) node
/// by node, in topological order, and serialises it with <see cref="ProtoWriter"/>. Field numbers
/// are those of onnx.proto: ModelProto ir_version 1, producer_name 2, graph 7, opset_import 8;
/// GraphProto node 1, name 2, initializer 5, input 11, output 12; NodeProto input 1, output 2,
/// name 3, op_type 4, attribute 5, domain 7; AttributeProto name 1, f 2, i 3, s 4, ints 8, type 20;
/// TensorProto dims 1, data_type 2, name 8, raw_data 9 (little-endian); ValueInfoProto name 1,
/// type 2; TypeProto tensor_type 1 (elem_type 1, shape 2: dim 1 = dim_value 1 | dim_param 2).
/// </summary>
internal sealed class OnnxModelBuilder
{
    /// <summary>The domain of ONNX Runtime's contrib operators (Attention, SkipLayerNormalization, ...).</summary>
    public const string MicrosoftDomain = "com.microsoft";

    private const long IrVersion = 8;
    private const long Opset = 17;

    private readonly List<Action<ProtoWriter>> _nodes = [];
    private readonly List<Action<ProtoWriter>> _initializers = [];
    private readonly List<Action<ProtoWriter>> _inputs = [];
    private readonly List<Action<ProtoWriter>> _outputs = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>A graph input; a dimension is a <see cref="long"/> (fixed) or a <see cref="string"/> (symbolic).</summary>
    public string Input(string name, OnnxElementType type, params object[] dims)
    {
        Claim(name);
        _inputs.Add(w => WriteValueInfo(w, name, type, dims));
        return name;
    }

    /// <summary>Declares an existing value as a graph output.</summary>
    public void Output(string name, OnnxElementType type, params object[] dims) =>
        _outputs.Add(w => WriteValueInfo(w, name, type, dims));

    /// <summary>A float32 initializer.</summary>
    public string Constant(string name, long[] shape, float[] values) =>
        Initializer(name, shape, OnnxElementType.Float, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), values.Length);

    /// <summary>An int8 initializer.</summary>
    public string Constant(string name, long[] shape, sbyte[] values) =>
        Initializer(name, shape, OnnxElementType.Int8, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), values.Length);

    /// <summary>A uint8 initializer.</summary>
    public string Constant(string name, long[] shape, byte[] values) =>
        Initializer(name, shape, OnnxElementType.UInt8, (byte[])values.Clone(), values.Length);

    /// <summary>An int64 initializer.</summary>
    public string Constant(string name, long[] shape, long[] values) =>
        Initializer(name, shape, OnnxElementType.Int64, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), values.Length);

    /// <summary>
    /// A node with one output, named after the op unless <paramref name="output"/> is given. An empty
    /// input name marks an omitted optional input. Attribute values: long/int (INT), float (FLOAT),
    /// long[] (INTS), string (STRING).
    /// </summary>
    public string Node(string opType, IReadOnlyList<string> inputs, string? domain = null, string? output = null,
        params (string Name, object Value)[] attributes) =>
        Nodes(opType, inputs, 1, domain, output is null ? null : [output], attributes)[0];

    /// <summary>A node with <paramref name="outputCount"/> outputs; returns their names.</summary>
    public string[] Nodes(string opType, IReadOnlyList<string> inputs, int outputCount, string? domain = null,
        IReadOnlyList<string>? outputs = null, params (string Name, object Value)[] attributes)
    {
        var id = _counter++;
        var names = outputs?.ToArray() ?? Enumerable.Range(0, outputCount).Select(i => $"{opType}_{id}_{i}").ToArray();
        foreach (var name in names) Claim(name);
        var inputCopy = inputs.ToArray();
        _nodes.Add(w =>
        {
            foreach (var input in inputCopy) w.WriteString(1, input);
            foreach (var name in names) w.WriteString(2, name);
            w.WriteString(3, $"{opType}_{id}");
            w.WriteString(4, opType);
            foreach (var (attrName, value) in attributes) w.WriteMessage(5, a => WriteAttribute(a, attrName, value));
            if (domain is not null) w.WriteString(7, domain);
        });
        return names;
    }

    /// <summary>The serialised model.</summary>
    public byte[] Build(string graphName, string producer)
    {
        var model = new ProtoWriter();
        model.WriteVarint(1, IrVersion);
        model.WriteString(2, producer);
        model.WriteMessage(7, g =>
        {
            foreach (var node in _nodes) g.WriteMessage(1, node);
            g.WriteString(2, graphName);
            foreach (var initializer in _initializers) g.WriteMessage(5, initializer);
            foreach (var input in _inputs) g.WriteMessage(11, input);
            foreach (var output in _outputs) g.WriteMessage(12, output);
        });
        model.WriteMessage(8, o => o.WriteVarint(2, Opset));
        model.WriteMessage(8, o =>
        {
            o.WriteString(1, MicrosoftDomain);
            o.WriteVarint(2, 1);
        });
        return model.ToArray();
    }

    private string Initializer(string name, long[] shape, OnnxElementType type, byte[] raw, long count)
    {
        var expected = shape.Aggregate(1L, (a, d) => a * d);
        if (expected != count)
            throw new ArgumentException($"Initializer '{name}': shape [{string.Join(", ", shape)}] holds {expected} values; got {count}.", nameof(shape));
        Claim(name);
        _initializers.Add(w =>
        {
            if (shape.Length > 0) w.WritePackedInt64(1, shape);
            w.WriteVarint(2, (long)type);
            w.WriteString(8, name);
            w.WriteBytes(9, raw);
        });
        return name;
    }

    private void Claim(string name)
    {
        if (!_names.Add(name)) throw new ArgumentException($"The ONNX value name '{name}' is used twice.", nameof(name));
    }

    private static void WriteAttribute(ProtoWriter w, string name, object value)
    {
        w.WriteString(1, name);
        switch (value)
        {
            case float f:
                w.WriteFloat(2, f);
                w.WriteVarint(20, 1);
                break;
            case int or long:
                w.WriteVarint(3, Convert.ToInt64(value));
                w.WriteVarint(20, 2);
                break;
            case string s:
                w.WriteString(4, s);
                w.WriteVarint(20, 3);
                break;
            case long[] ints:
                w.WritePackedInt64(8, ints);
                w.WriteVarint(20, 7);
                break;
            default:
                throw new ArgumentException($"Attribute '{name}' has an unsupported value type {value.GetType().Name}.", nameof(value));
        }
    }

    private static void WriteValueInfo(ProtoWriter w, string name, OnnxElementType type, object[] dims)
    {
        w.WriteString(1, name);
        w.WriteMessage(2, t => t.WriteMessage(1, tensor =>
        {
            tensor.WriteVarint(1, (long)type);
            tensor.WriteMessage(2, shape =>
            {
                foreach (var dim in dims)
                {
                    shape.WriteMessage(1, d =>
                    {
                        if (dim is string symbol) d.WriteString(2, symbol);
                        else d.WriteVarint(1, Convert.ToInt64(dim));
                    });
                }
            });
        }));
    }
}
