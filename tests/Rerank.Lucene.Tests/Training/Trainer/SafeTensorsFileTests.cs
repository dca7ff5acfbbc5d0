using System.Buffers.Binary;
using Rerank.Training.Trainer;

namespace Rerank.Lucene.Tests.Training.Trainer;

public sealed class SafeTensorsFileTests
{
    [Fact]
    public void WriteRead_TwoTensors_RoundTripsAndHeaderIsEightByteAligned()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "w.safetensors");
        SafeTensorsFile.Write(path, new Dictionary<string, (long[], float[])>
        {
            ["b.bias"] = ([2], [1.5f, -2f]),
            ["a.weight"] = ([2, 2], [1f, 2f, 3f, 4f]),
        });
        var bytes = File.ReadAllBytes(path);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        // 8 header-length bytes + header + 6 floats * 4 bytes.
        Assert.Equal(8 + headerLength + 24, bytes.Length);
        var read = SafeTensorsFile.Read(path);
        Assert.Equal([2L, 2L], read["a.weight"].Shape);
        Assert.Equal([1f, 2f, 3f, 4f], read["a.weight"].Values);
        Assert.Equal([1.5f, -2f], read["b.bias"].Values);
    }
}
