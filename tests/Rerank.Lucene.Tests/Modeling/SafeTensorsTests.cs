using System.Text;
using Rerank.Lucene.Modeling;

namespace Rerank.Lucene.Tests.Modeling;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDir("st");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A file assembled byte by byte from the format description, independent of the writer.</summary>
    private static byte[] HandWrittenFile()
    {
        var header = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[1,2],"data_offsets":[8,12]},"c":{"dtype":"BF16","shape":[1],"data_offsets":[12,14]},"__metadata__":{"format":"pt"}}""";
        var bytes = new List<byte>();
        var json = Encoding.UTF8.GetBytes(header);
        bytes.AddRange([(byte)json.Length, (byte)(json.Length >> 8), 0, 0, 0, 0, 0, 0]);
        bytes.AddRange(json);
        bytes.AddRange([0x00, 0x00, 0x80, 0x3F]); // 1.0f
        bytes.AddRange([0x00, 0x00, 0x20, 0xC0]); // -2.5f
        bytes.AddRange([0x00, 0x3C]);             // half 1.0
        bytes.AddRange([0x00, 0x38]);             // half 0.5
        bytes.AddRange([0x00, 0xC0]);             // bfloat16 -2.0 (0xC000)
        return bytes.ToArray();
    }

    [Fact]
    public void Read_HandWrittenFile_DecodesF32F16Bf16()
    {
        var path = Path.Combine(_dir, "hand.safetensors");
        File.WriteAllBytes(path, HandWrittenFile());

        var tensors = SafeTensors.Read(path);

        Assert.Equal(["a", "b", "c"], tensors.Keys.Order());
        Assert.Equal([2L], tensors["a"].Shape);
        Assert.Equal([1f, -2.5f], tensors["a"].Values);
        Assert.Equal([1L, 2L], tensors["b"].Shape);
        Assert.Equal([1f, 0.5f], tensors["b"].Values);
        Assert.Equal([-2f], tensors["c"].Values);
    }

    [Fact]
    public void Write_OneF32Tensor_ProducesTheDocumentedBytes()
    {
        var path = Path.Combine(_dir, "one.safetensors");

        SafeTensors.Write(path, new Dictionary<string, TensorData> { ["x"] = new([2], [1f, -2.5f]) });

        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal("""{"__metadata__":{"format":"pt"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", header.TrimEnd(' '));
        Assert.Equal([0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0], bytes[(8 + headerLength)..]);
    }

    [Fact]
    public void WriteRead_F32_RoundTripsBitwise()
    {
        var path = Path.Combine(_dir, "f32.safetensors");
        var random = new Random(3);
        var values = Enumerable.Range(0, 24).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var tensors = new Dictionary<string, TensorData> { ["w"] = new([2, 3, 4], values), ["s"] = new([], [7.25f]) };

        SafeTensors.Write(path, tensors);
        var back = SafeTensors.Read(path);

        Assert.Equal(values, back["w"].Values);
        Assert.Equal([2L, 3L, 4L], back["w"].Shape);
        Assert.Equal([7.25f], back["s"].Values);
        Assert.Empty(back["s"].Shape);
    }

    [Fact]
    public void WriteRead_F16_RoundTripsToHalfPrecision()
    {
        var path = Path.Combine(_dir, "f16.safetensors");
        float[] values = [0.5f, -1.25f, 1024f, 0.1f, -3.3333f];

        SafeTensors.Write(path, new Dictionary<string, TensorData> { ["w"] = new([5], values) }, SafeTensorsDType.F16);
        var back = SafeTensors.Read(path)["w"].Values;

        Assert.Equal([0.5f, -1.25f, 1024f], back[..3]);
        for (var i = 3; i < values.Length; i++) Assert.Equal(values[i], back[i], Math.Abs(values[i]) * 1e-3f);
        Assert.Contains("\"dtype\":\"F16\"", Encoding.UTF8.GetString(File.ReadAllBytes(path)));
    }

    [Fact]
    public void Write_F16Overflow_ThrowsNamingTensor()
    {
        var path = Path.Combine(_dir, "big.safetensors");

        var e = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Write(path, new Dictionary<string, TensorData> { ["big"] = new([1], [1e6f]) }, SafeTensorsDType.F16));

        Assert.StartsWith("Tensor 'big' holds 1000000, beyond the float16 range (±65504); save it as F32.", e.Message);
    }

    [Fact]
    public void Read_OffsetsBeyondData_ThrowsClearly()
    {
        var bytes = HandWrittenFile();
        var path = Path.Combine(_dir, "cut.safetensors");
        File.WriteAllBytes(path, bytes[..^2]);

        var e = Assert.Throws<InvalidInputException>(() => SafeTensors.Read(path));

        Assert.Equal($"'{path}' is not a valid safetensors file: tensor 'c' data_offsets [12, 14] lie outside the 12 data bytes.", e.Message);
    }

    [Fact]
    public void Read_UnsupportedDtype_ThrowsNamingTensor()
    {
        var header = """{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""";
        var json = Encoding.UTF8.GetBytes(header);
        var path = Path.Combine(_dir, "i64.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. new byte[8]]);

        var e = Assert.Throws<InvalidInputException>(() => SafeTensors.Read(path));

        Assert.Equal($"'{path}' is not a valid safetensors file: tensor 'ids' has dtype I64; only F32, F16 and BF16 are supported (and the int64 buffer embeddings.position_ids, which is checked and skipped).", e.Message);
    }
    /// <summary>A file with the given header and data bytes, built by hand (8-byte length, JSON, data).</summary>
    private string HandBuilt(string name, string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. data]);
        return path;
    }

    [Fact]
    public void Read_OverlappingOffsets_RefusedNamingBothTensors()
    {
        // b's bytes [4, 12) reuse the second half of a's [0, 8): a damaged header that would alias weights.
        var path = HandBuilt("overlap.safetensors",
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]);

        var e = Assert.Throws<InvalidInputException>(() => SafeTensors.Read(path));

        Assert.Equal($"'{path}' is not a valid safetensors file: tensor 'b' data_offsets [4, 12] overlap the bytes of tensor 'a' (which end at 8); each tensor must have its own bytes.", e.Message);
    }

    [Fact]
    public void Read_SameOffsetsForTwoTensors_Refused()
    {
        var path = HandBuilt("alias.safetensors",
            """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4]);

        var e = Assert.Throws<InvalidInputException>(() => SafeTensors.Read(path));

        Assert.Contains("tensor 'y' data_offsets [0, 4] overlap the bytes of tensor 'x'", e.Message);
    }

    [Fact]
    public void Read_TrailingUnusedBytes_RefusedNamingLastTensor()
    {
        var path = HandBuilt("tail.safetensors", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[7]);

        var e = Assert.Throws<InvalidInputException>(() => SafeTensors.Read(path));

        Assert.Equal($"'{path}' is not a valid safetensors file: 3 bytes after tensor 'a' (data bytes 4..7) belong to no tensor; the file is damaged or its header does not describe it.", e.Message);
    }

    [Fact]
    public void Read_HoleBetweenOrBeforeTensors_Refused()
    {
        var gap = HandBuilt("gap.safetensors",
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", new byte[12]);
        var start = HandBuilt("start.safetensors", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]);

        var e1 = Assert.Throws<InvalidInputException>(() => SafeTensors.Read(gap));
        var e2 = Assert.Throws<InvalidInputException>(() => SafeTensors.Read(start));

        Assert.Contains("tensor 'b' data_offsets [8, 12] leave bytes 4..8 unused after tensor 'a'", e1.Message);
        Assert.Contains("tensor 'a' data_offsets [4, 8] leave bytes 0..4 unused at the start of the data", e2.Message);
    }

    [Fact]
    public void Read_OffsetsOutOfNameOrder_AcceptedWhenContiguous()
    {
        // The format orders by offset, not by name: z first, a second is valid.
        var path = HandBuilt("order.safetensors",
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""",
            [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40]);

        var tensors = SafeTensors.Read(path);

        Assert.Equal([1f], tensors["z"].Values);
        Assert.Equal([2f], tensors["a"].Values);
    }
    [Fact]
    public void FolderWeights_NonFinite_RefusedNamingTensorAndIndex()
    {
        // a = [1.0, NaN] (0x7FC00000), b = [-Infinity] (0xFF800000), bytes written by hand.
        var folder = Path.Combine(_dir, "nan");
        Directory.CreateDirectory(folder);
        File.Move(HandBuilt("x.safetensors",
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""",
            [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0xC0, 0x7F, 0x00, 0x00, 0x80, 0xFF]), Path.Combine(folder, "model.safetensors"));
        var path = Path.Combine(folder, "model.safetensors");

        var e = Assert.Throws<InvalidInputException>(() => CheckpointFiles.Read(folder));

        Assert.StartsWith($"Weights in '{path}': tensor 'a' holds NaN at flat index 1; weights must be finite", e.Message);
    }

    [Fact]
    public void ShardedWeights_Infinity_RefusedNamingTheShard()
    {
        var folder = Path.Combine(_dir, "inf");
        Directory.CreateDirectory(folder);
        File.Move(HandBuilt("s1.safetensors", """{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", [0x00, 0x3C, 0x00, 0x7C]), // 1.0, +inf
            Path.Combine(folder, "model-00001-of-00001.safetensors"));
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), """{"weight_map":{"w":"model-00001-of-00001.safetensors"}}""");

        var e = Assert.Throws<InvalidInputException>(() => CheckpointFiles.Read(folder));

        Assert.StartsWith($"Weights in '{Path.Combine(folder, "model-00001-of-00001.safetensors")}': tensor 'w' holds +Infinity at flat index 1", e.Message);
    }
}
