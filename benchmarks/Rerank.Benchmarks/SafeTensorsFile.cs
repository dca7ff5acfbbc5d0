using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rerank.Benchmarks;

/// <summary>
/// A minimal float32-only safetensors reader and writer, enough to add a classifier head to an
/// encoder checkpoint. Layout: an 8-byte little-endian header length N, N bytes of JSON
/// <c>{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}}</c> (offsets relative to
/// the end of the header), then the raw little-endian data.
/// </summary>
internal static class SafeTensorsFile
{
    /// <summary>Reads every F32 tensor; any other dtype is refused.</summary>
    public static Dictionary<string, (long[] Shape, float[] Values)> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, headerLength))!.AsObject();
        var dataStart = 8 + headerLength;
        var result = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            var dtype = node!["dtype"]!.GetValue<string>();
            if (dtype != "F32") throw new InvalidDataException($"'{path}': tensor '{name}' is {dtype}; this reader handles F32 only.");
            var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var span = bytes.AsSpan(checked(dataStart + (int)offsets[0]), checked((int)(offsets[1] - offsets[0])));
            result[name] = (shape, MemoryMarshal.Cast<byte, float>(span).ToArray());
        }
        return result;
    }

    /// <summary>Writes <paramref name="tensors"/> as F32, in name order.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, (long[] Shape, float[] Values)> tensors)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The safetensors writer assumes a little-endian host.");
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var name in names)
        {
            var (shape, values) = tensors[name];
            if (shape.Aggregate(1L, (a, b) => a * b) != values.Length)
                throw new ArgumentException($"Tensor '{name}' has {values.Length} values for shape [{string.Join(", ", shape)}].", nameof(tensors));
            var end = offset + 4L * values.Length;
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, end),
            };
            offset = end;
        }

        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        // Pad the header with spaces to a multiple of 8 bytes, as the reference writer does, so the data is aligned.
        var padded = (headerBytes.Length + 7) / 8 * 8;
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(headerBytes);
        for (var i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var name in names) stream.Write(MemoryMarshal.AsBytes(tensors[name].Values.AsSpan()));
    }
}
