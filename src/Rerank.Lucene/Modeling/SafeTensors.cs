using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rerank.Lucene.Modeling;

/// <summary>Element types of the safetensors format this library reads (all) and writes (F32, F16).</summary>
internal enum SafeTensorsDType
{
    /// <summary>IEEE float32, 4 bytes.</summary>
    F32,

    /// <summary>IEEE float16, 2 bytes.</summary>
    F16,

    /// <summary>bfloat16 (the upper half of a float32), 2 bytes; read only.</summary>
    BF16,
}

/// <summary>
/// Reads and writes the safetensors format in plain C#. Layout: an 8-byte little-endian
/// unsigned header length N; N bytes of UTF-8 JSON mapping each tensor name to
/// <c>{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}</c> (offsets relative to the
/// data that follows the header), plus an optional <c>"__metadata__"</c> string map; then the
/// raw little-endian data. Values are exchanged as float32 <see cref="TensorData"/>.
/// </summary>
internal static class SafeTensors
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>Reads every tensor of <paramref name="path"/> as float32.</summary>
    /// <exception cref="InvalidInputException">The file is malformed or holds a dtype other than F32, F16 or BF16.</exception>
    public static Dictionary<string, TensorData> Read(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"Weights file '{path}' does not exist.", path);
        using var stream = File.OpenRead(path);
        InvalidInputException Bad(string problem) => new($"'{path}' is not a valid safetensors file: {problem}.", path);

        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) != 8) throw Bad("shorter than the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)Math.Min(MaxHeaderBytes, stream.Length - 8)) throw Bad($"header length {headerLength} exceeds the file or 100 MB");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLength;
        long dataLength = stream.Length - dataStart;

        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes) as JsonObject ?? throw Bad("header is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Bad($"header is not JSON ({e.Message})");
        }

        CheckByteRanges(header, dataLength, Bad);
        var result = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            if (node is not JsonObject entry) throw Bad($"entry '{name}' is not an object");
            var dtypeText = entry["dtype"]?.GetValueKind() == JsonValueKind.String ? entry["dtype"]!.GetValue<string>() : throw Bad($"entry '{name}' has no dtype");
            if (dtypeText == "I64" && IsPositionIdsBuffer(name))
            {
                CheckPositionIds(stream, dataStart, dataLength, name, entry, Bad);
                continue;
            }

            var dtype = dtypeText switch
            {
                "F32" => SafeTensorsDType.F32,
                "F16" => SafeTensorsDType.F16,
                "BF16" => SafeTensorsDType.BF16,
                _ => throw Bad($"tensor '{name}' has dtype {dtypeText}; only F32, F16 and BF16 are supported (and the int64 buffer embeddings.position_ids, which is checked and skipped)"),
            };
            if (entry["shape"] is not JsonArray shapeNode) throw Bad($"entry '{name}' has no shape");
            var shape = new long[shapeNode.Count];
            for (var i = 0; i < shape.Length; i++)
            {
                shape[i] = shapeNode[i] is JsonValue v && v.TryGetValue<long>(out var d) && d >= 0 ? d : throw Bad($"entry '{name}' has a bad shape");
            }

            if (entry["data_offsets"] is not JsonArray { Count: 2 } offsets
                || offsets[0] is not JsonValue b || !b.TryGetValue<long>(out var begin)
                || offsets[1] is not JsonValue e || !e.TryGetValue<long>(out var end))
            {
                throw Bad($"entry '{name}' has no [begin, end] data_offsets");
            }

            long count = shape.Aggregate(1L, (a, d) => checked(a * d));
            long elementSize = dtype == SafeTensorsDType.F32 ? 4 : 2;
            if (begin < 0 || end < begin || end > dataLength) throw Bad($"tensor '{name}' data_offsets [{begin}, {end}] lie outside the {dataLength} data bytes");
            if (end - begin != count * elementSize) throw Bad($"tensor '{name}' has {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtypeText} needs {count * elementSize}");
            if (count > Array.MaxLength) throw Bad($"tensor '{name}' has too many elements");

            var raw = new byte[end - begin];
            stream.Position = dataStart + begin;
            stream.ReadExactly(raw);
            result[name] = new TensorData(shape, Decode(raw, dtype, (int)count));
        }

        return result;
    }

    /// <summary>
    /// Enforces the format's rule that the data buffer is entirely indexed without holes: the tensors' byte ranges,
    /// sorted by offset, start at 0, each begins where the previous one ends (no overlap, no gap), and the last ends
    /// at the end of the file. A header whose offsets overlap would read one tensor's bytes as another's, and unused
    /// bytes mean the file is not what its header says (Hugging Face's reader refuses both).
    /// </summary>
    private static void CheckByteRanges(JsonObject header, long dataLength, Func<string, InvalidInputException> bad)
    {
        var ranges = new List<(long Begin, long End, string Name)>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            if (node is not JsonObject entry
                || entry["data_offsets"] is not JsonArray { Count: 2 } offsets
                || offsets[0] is not JsonValue b || !b.TryGetValue<long>(out var begin)
                || offsets[1] is not JsonValue e || !e.TryGetValue<long>(out var end))
            {
                throw bad($"entry '{name}' has no [begin, end] data_offsets");
            }

            if (begin < 0 || end < begin || end > dataLength) throw bad($"tensor '{name}' data_offsets [{begin}, {end}] lie outside the {dataLength} data bytes");
            ranges.Add((begin, end, name));
        }

        ranges.Sort((x, y) => x.Begin != y.Begin ? x.Begin.CompareTo(y.Begin) : x.End.CompareTo(y.End));
        long expected = 0;
        string? previous = null;
        foreach (var (begin, end, name) in ranges)
        {
            if (begin < expected)
                throw bad($"tensor '{name}' data_offsets [{begin}, {end}] overlap the bytes of tensor '{previous}' (which end at {expected}); each tensor must have its own bytes");
            if (begin > expected)
                throw bad($"tensor '{name}' data_offsets [{begin}, {end}] leave bytes {expected}..{begin} unused{(previous is null ? " at the start of the data" : $" after tensor '{previous}'")}; the data must be covered without holes");
            expected = end;
            previous = name;
        }

        if (expected != dataLength)
            throw bad($"{dataLength - expected} bytes after {(previous is null ? "the header" : $"tensor '{previous}'")} (data bytes {expected}..{dataLength}) belong to no tensor; the file is damaged or its header does not describe it");
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> in name order, stored as
    /// <paramref name="dtype"/>, with <c>__metadata__ {"format": "pt"}</c> as PyTorch's writer adds.
    /// </summary>
    /// <exception cref="ArgumentException">BF16 was asked for, a value does not fit F16, or a tensor's values do not match its shape.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, TensorData> tensors, SafeTensorsDType dtype = SafeTensorsDType.F32)
    {
        if (dtype == SafeTensorsDType.BF16) throw new ArgumentException("Writing BF16 is not supported; write F32 or F16.", nameof(dtype));
        int elementSize = dtype == SafeTensorsDType.F32 ? 4 : 2;
        var names = tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var name in names)
        {
            var t = tensors[name];
            if (t.ElementCount != t.Values.Length)
            {
                throw new ArgumentException($"Tensor '{name}' has {t.Values.Length} values but shape [{string.Join(", ", t.Shape)}].", nameof(tensors));
            }

            long bytes = t.Values.LongLength * elementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = dtype.ToString(),
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }

        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)padded);
        stream.Write(lengthBytes);
        stream.Write(json);
        for (var i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var name in names)
        {
            stream.Write(Encode(name, tensors[name].Values, dtype));
        }
    }

    /// <summary>
    /// True for the int64 buffer <c>embeddings.position_ids</c> (with any prefix, e.g. <c>bert.</c>) that
    /// checkpoints converted from transformers before 4.31 keep (the ms-marco cross-encoders among them).
    /// </summary>
    internal static bool IsPositionIdsBuffer(string name) =>
        name == PositionIdsKey || name.EndsWith("." + PositionIdsKey, StringComparison.Ordinal);

    private const string PositionIdsKey = "embeddings.position_ids";

    /// <summary>
    /// Reads the int64 <c>position_ids</c> buffer and checks that it holds 0, 1, ..., n-1 (shape [n] or
    /// [1, n]): the positions every supported model computes itself, so the buffer carries nothing and is
    /// skipped. Any other content is refused, since a model that used it would score differently.
    /// </summary>
    private static void CheckPositionIds(FileStream stream, long dataStart, long dataLength, string name, JsonObject entry, Func<string, InvalidInputException> bad)
    {
        if (entry["shape"] is not JsonArray shapeNode || shapeNode.Count is < 1 or > 2
            || shapeNode.Any(n => n is not JsonValue v || !v.TryGetValue<long>(out var d) || d < 0)
            || (shapeNode.Count == 2 && shapeNode[0]!.GetValue<long>() != 1))
        {
            throw bad($"buffer '{name}' must have shape [n] or [1, n]");
        }

        var count = shapeNode[^1]!.GetValue<long>();
        if (entry["data_offsets"] is not JsonArray { Count: 2 } offsets
            || offsets[0] is not JsonValue b || !b.TryGetValue<long>(out var begin)
            || offsets[1] is not JsonValue e || !e.TryGetValue<long>(out var end)
            || begin < 0 || end < begin || end > dataLength || end - begin != count * 8 || count > 1 << 24)
        {
            throw bad($"buffer '{name}' has data_offsets that do not hold {count} int64 values inside the data");
        }

        var raw = new byte[end - begin];
        stream.Position = dataStart + begin;
        stream.ReadExactly(raw);
        for (var i = 0; i < count; i++)
        {
            var value = BinaryPrimitives.ReadInt64LittleEndian(raw.AsSpan(8 * i));
            if (value != i)
            {
                throw bad($"buffer '{name}' holds {value} at index {i}; only the positions 0, 1, ..., n-1 are accepted (the model computes them itself)");
            }
        }
    }

    private static float[] Decode(byte[] raw, SafeTensorsDType dtype, int count)
    {
        var values = new float[count];
        switch (dtype)
        {
            case SafeTensorsDType.F32:
                for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(4 * i));
                break;
            case SafeTensorsDType.F16:
                for (var i = 0; i < count; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw.AsSpan(2 * i));
                break;
            default:
                // bfloat16 is the high 16 bits of a float32: shift them back into place.
                for (var i = 0; i < count; i++)
                {
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i)) << 16);
                }

                break;
        }

        return values;
    }

    private static byte[] Encode(string name, float[] values, SafeTensorsDType dtype)
    {
        if (dtype == SafeTensorsDType.F32)
        {
            var bytes = new byte[values.Length * 4];
            for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
            return bytes;
        }

        var half = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            var h = (Half)values[i];
            if (Half.IsInfinity(h) && float.IsFinite(values[i]))
            {
                throw new ArgumentException($"Tensor '{name}' holds {values[i]}, beyond the float16 range (±65504); save it as F32.", nameof(values));
            }

            BinaryPrimitives.WriteHalfLittleEndian(half.AsSpan(2 * i), h);
        }

        return half;
    }
}
