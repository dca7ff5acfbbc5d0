using Rerank.Lucene.Modeling;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;

namespace Rerank.Lucene.Tests.Modeling;

[Collection(TorchCollection.Name)]
public sealed class ModelFoldersTests
{
    [Fact]
    public void ConvertToFloat16_HalvesWeightsKeepsFilesAndScores()
    {
        var source = TinyCrossEncoder.Create(seed: 5);
        var target = Path.Combine(Path.GetDirectoryName(source)!, "fp16");

        ModelFolders.ConvertToFloat16(source, target);

        Assert.Equal(
            Directory.GetFiles(source).Select(Path.GetFileName).Order(),
            Directory.GetFiles(target).Select(Path.GetFileName).Order());
        var original = SafeTensors.Read(Path.Combine(source, "model.safetensors"));
        var half = SafeTensors.Read(Path.Combine(target, "model.safetensors"));
        Assert.Equal(original.Keys.Order(), half.Keys.Order());
        foreach (var (name, tensor) in original)
        {
            // Float16 keeps 11 significant bits: relative error at most 2^-11 for normal values.
            var converted = half[name].Values;
            for (var i = 0; i < tensor.Values.Length; i++)
                Assert.True(Math.Abs(tensor.Values[i] - converted[i]) <= Math.Abs(tensor.Values[i]) / 2048 + 1e-7, $"{name}[{i}]");
        }
        using var a = CrossEncoder.Load(source, new CrossEncoderOptions { Device = "cpu" });
        using var b = CrossEncoder.Load(target, new CrossEncoderOptions { Device = "cpu" });
        Assert.Equal(a.Predict("tides", ["The moon pulls the oceans."])[0], b.Predict("tides", ["The moon pulls the oceans."])[0], 3);
    }

    [Fact]
    public void ConvertToFloat16_ExistingTarget_Refused()
    {
        var source = TinyCrossEncoder.Create(seed: 5);

        var e = Assert.Throws<InvalidInputException>(() => ModelFolders.ConvertToFloat16(source, source));

        Assert.Equal($"'{source}' already exists. Choose another --output folder or remove it first.", e.Message);
    }
}
