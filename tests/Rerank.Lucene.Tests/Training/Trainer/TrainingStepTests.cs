using Rerank.Lucene.Tests.Native;
using Rerank.Training.Losses;
using Rerank.Training.Optimization;
using Rerank.Training.Trainer;
using TorchSharp;
using static Rerank.Lucene.Tests.Training.Trainer.TrainerFixtures;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Training.Trainer;

[Collection(TorchCollection.Name)]
public sealed class TrainingStepTests
{
    [Fact]
    public void Run_ReleasingGradients_SameLossesAndWeightsAsTorchSharpZeroGrad()
    {
        // The reference is TorchSharp's own AdamW.zero_grad (zero_ on every gradient). Releasing the
        // gradients instead must train the same model: 5 updates of 2 accumulated micro-batches with
        // dropout (reseeded per update as the trainer does), gradient clipping and weight decay.
        var rows = TrainingRows.FromGroups(Groups(8, negatives: 2), 2);
        var microBatches = new[] { rows.Take(2).ToList(), rows.Skip(2).Take(2).ToList() };
        (List<double> Losses, float[] Weights, bool GradientsLeft) Train(bool release)
        {
            manual_seed(5);
            var model = new TinyCrossEncoder();
            model.train();
            var named = model.named_parameters().Select(p => (p.name, p.parameter)).ToList();
            var parameters = named.Select(p => p.parameter).ToList();
            using var optimizer = AdamWFactory.Create(named, 1e-3, 0.01);
            var options = TinyOptions(TestPaths.NewTempDir());
            var step = new TrainingStep(model, RankingLosses.Create(LossKind.BinaryCrossEntropy, 2.0), new HashingPairEncoder(), parameters, optimizer, options, CPU)
            {
                ReleaseGradients = release,
            };
            var losses = new List<double>();
            for (var k = 0; k < 5; k++)
            {
                manual_seed(100 + k);
                losses.Add(step.Run(microBatches, 1e-3));
            }
            var left = parameters.Any(p => p.grad is not null);
            return (losses, model.FlatWeights(), left);
        }

        var zeroed = Train(release: false);
        var released = Train(release: true);

        Assert.True(zeroed.GradientsLeft, "TorchSharp's zero_grad keeps zeroed gradient tensors");
        Assert.False(released.GradientsLeft, "released gradients are gone after the update");
        Assert.Equal(zeroed.Losses, released.Losses);
        Assert.Equal(zeroed.Weights.Length, released.Weights.Length);
        var maxDiff = zeroed.Weights.Zip(released.Weights, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= 1e-7f, $"max |zeroed - released| = {maxDiff}");
        // The updates did change the model (the comparison is not between two untouched copies).
        manual_seed(5);
        var start = new TinyCrossEncoder().FlatWeights();
        Assert.True(start.Zip(released.Weights, (a, b) => Math.Abs(a - b)).Max() > 1e-4f);
    }
}
