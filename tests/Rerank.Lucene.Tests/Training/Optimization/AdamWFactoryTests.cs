using Rerank.Training.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Training.Optimization;

public sealed class AdamWFactoryTests
{
    [Fact]
    public void Step_ZeroGradient_DecaysWeightButNotBiasOrLayerNorm()
    {
        using var scope = NewDisposeScope();
        var weight = new Parameter(ones(2));
        var bias = new Parameter(ones(2));
        var norm = new Parameter(ones(2));
        var optimizer = AdamWFactory.Create(
            [("dense.weight", weight), ("dense.bias", bias), ("output.LayerNorm.weight", norm)],
            learningRate: 0.1, weightDecay: 0.5);
        // A zero gradient makes Adam's update 0 / (0 + eps) = 0, leaving only the decoupled
        // decay p <- p * (1 - lr * wd) = 1 * (1 - 0.1 * 0.5) = 0.95 on the decayed group.
        ((weight + bias + norm) * 0).sum().backward();
        optimizer.step();
        Assert.Equal(0.95f, weight.data<float>()[0], 6);
        Assert.Equal(1f, bias.data<float>()[0], 6);
        Assert.Equal(1f, norm.data<float>()[0], 6);
    }

    [Fact]
    public void SetLearningRate_TwoGroups_SetsBoth()
    {
        using var scope = NewDisposeScope();
        var optimizer = AdamWFactory.Create(
            [("a.weight", new Parameter(ones(1))), ("a.bias", new Parameter(ones(1)))], learningRate: 1e-3, weightDecay: 0.01);
        AdamWFactory.SetLearningRate(optimizer, 5e-5);
        Assert.Equal(2, optimizer.ParamGroups.Count());
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(5e-5, g.LearningRate));
    }
}
