using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rerank.Training.Trainer;

/// <summary>
/// Minimal reader and writer of float32 safetensors files for the trainer's own checkpoints
/// (model weights). Layout: an 8-byte little-endian header length, a JSON header mapping each
/// name to {dtype, shape, data_offsets}, then the raw little-endian data.
/// </summary>
internal static class SafeTensorsFile
{
    /// <summary>Writes the tensors, names sorted ordinally.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, (long[] Shape, float[] Values)> tensors)
    {
        var names = tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        long offset = 0;
        foreach (var name in names)
        {
            var (shape, values) = tensors[name];
            var bytes = (long)values.Length * sizeof(float);
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces to a multiple of 8 bytes, as the reference writer does.
        var padded = (json.Length + 7) / 8 * 8;
        using var stream = File.Create(path);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        stream.Write(len);
        stream.Write(json);
        for (var i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var name in names)
        {
            var values = tensors[name].Values;
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors needs a little-endian host.");
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        }
    }

    /// <summary>Reads every tensor; only F32 is accepted.</summary>
    public static Dictionary<string, (long[] Shape, float[] Values)> Read(string path)
    {
        var data = File.ReadAllBytes(path);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(data);
        using var doc = JsonDocument.Parse(data.AsMemory(8, (int)headerLength));
        var start = 8 + (int)headerLength;
        var result = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var dtype = entry.Value.GetProperty("dtype").GetString();
            if (dtype != "F32") throw new InvalidDataException($"Checkpoint tensor '{entry.Name}' in '{path}' is {dtype}; the trainer writes and reads F32 only.");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var values = MemoryMarshal.Cast<byte, float>(data.AsSpan(start + (int)offsets[0], (int)(offsets[1] - offsets[0]))).ToArray();
            result[entry.Name] = (shape, values);
        }
        return result;
    }
}
