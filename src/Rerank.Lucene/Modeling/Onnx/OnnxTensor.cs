using System.Buffers.Binary;

namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// One ONNX <c>TensorProto</c> (an initializer or a <c>Constant</c> value). Only the parts
/// needed for importing weights are kept: FLOAT and INT64 data, either as <c>raw_data</c>
/// (little-endian bytes, sliced from the model buffer without copying) or as the typed
/// repeated fields.
/// </summary>
internal sealed class OnnxTensor
{
    /// <summary>ONNX <c>TensorProto.DataType.FLOAT</c>.</summary>
    public const int Float = 1;

    /// <summary>ONNX <c>TensorProto.DataType.INT64</c>.</summary>
    public const int Int64 = 7;

    public OnnxTensor(string name, int dataType, long[] dims, ReadOnlyMemory<byte> rawData, float[] floatData, long[] int64Data)
    {
        Name = name;
        DataType = dataType;
        Dims = dims;
        RawData = rawData;
        FloatData = floatData;
        Int64Data = int64Data;
    }

    public string Name { get; }

    /// <summary>The ONNX element type code (1 = FLOAT, 7 = INT64, ...).</summary>
    public int DataType { get; }

    public long[] Dims { get; }

    public ReadOnlyMemory<byte> RawData { get; }

    public float[] FloatData { get; }

    public long[] Int64Data { get; }

    /// <summary>The number of elements the dims describe (1 for a scalar).</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>The values as float32; fails unless the tensor is FLOAT with the right amount of data.</summary>
    public float[] ToFloat32()
    {
        RequireType(Float, "FLOAT");
        var count = checked((int)ElementCount);
        if (!RawData.IsEmpty)
        {
            RequireLength(RawData.Length, count * sizeof(float), "raw_data bytes");
            var values = new float[count];
            var raw = RawData.Span;
            if (BitConverter.IsLittleEndian)
            {
                raw.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            }
            else
            {
                for (var i = 0; i < count; i++)
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * sizeof(float)));
            }
            return values;
        }
        RequireLength(FloatData.Length, count, "float_data values");
        return (float[])FloatData.Clone();
    }

    /// <summary>The values as int64; fails unless the tensor is INT64 with the right amount of data.</summary>
    public long[] ToInt64()
    {
        RequireType(Int64, "INT64");
        var count = checked((int)ElementCount);
        if (!RawData.IsEmpty)
        {
            RequireLength(RawData.Length, count * sizeof(long), "raw_data bytes");
            var values = new long[count];
            var raw = RawData.Span;
            for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(raw.Slice(i * sizeof(long)));
            return values;
        }
        RequireLength(Int64Data.Length, count, "int64_data values");
        return (long[])Int64Data.Clone();
    }

    /// <summary>The single value of a FLOAT tensor with one element (a scalar or shape [1]).</summary>
    public float ToScalarFloat()
    {
        var values = ToFloat32();
        if (values.Length != 1)
            throw new InvalidInputException($"ONNX tensor '{Name}' has {values.Length} values where a scalar was expected.");
        return values[0];
    }

    private void RequireType(int expected, string expectedName)
    {
        if (DataType != expected)
            throw new InvalidInputException(
                $"ONNX tensor '{Name}' has data type {DataType}, expected {expected} ({expectedName}).");
    }

    private void RequireLength(int actual, int expected, string what)
    {
        if (actual != expected)
            throw new InvalidInputException(
                $"ONNX tensor '{Name}' with dims [{string.Join(", ", Dims)}] has {actual} {what}, expected {expected}.");
    }
}
