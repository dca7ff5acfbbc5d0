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
    public void ConvertToFloat16_IntoItself_Refused()
    {
        var source = TinyCrossEncoder.Create(seed: 5);

        var e = Assert.Throws<InvalidInputException>(() => ModelFolders.ConvertToFloat16(source, source, overwrite: true));

        Assert.Equal($"--output '{source}' is the input folder; write the float16 copy to another folder.", e.Message);
    }

    [Fact]
    public void ConvertToFloat16_ExistingModelFolder_RefusedWithoutOverwriteAndReplacedWithIt()
    {
        var source = TinyCrossEncoder.Create(seed: 5);
        var target = TinyCrossEncoder.Create(seed: 6);
        var before = File.ReadAllBytes(Path.Combine(target, "model.safetensors"));

        var e = Assert.Throws<InvalidInputException>(() => ModelFolders.ConvertToFloat16(source, target));
        Assert.Equal($"'{target}' already holds a model folder. Pass --overwrite to replace it, or choose another --output folder.", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(target, "model.safetensors")));

        ModelFolders.ConvertToFloat16(source, target, overwrite: true);
        Assert.Equal(SafeTensors.Read(Path.Combine(source, "model.safetensors")).Keys.Order(), SafeTensors.Read(Path.Combine(target, "model.safetensors")).Keys.Order());
        Assert.NotEqual(before, File.ReadAllBytes(Path.Combine(target, "model.safetensors")));
    }

    [Fact]
    public void ConvertToFloat16_FolderWithAUserFile_RefusedEvenWithOverwrite()
    {
        var source = TinyCrossEncoder.Create(seed: 5);
        var target = TinyCrossEncoder.Create(seed: 6);
        File.WriteAllText(Path.Combine(target, "important.txt"), "keep me");

        var e = Assert.Throws<InvalidInputException>(() => ModelFolders.ConvertToFloat16(source, target, overwrite: true));

        Assert.Contains("it holds 'important.txt', which is not part of a model folder; refusing to replace it, even with --overwrite", e.Message);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(target, "important.txt")));
        Assert.True(File.Exists(Path.Combine(target, "model.safetensors")));
    }
}
