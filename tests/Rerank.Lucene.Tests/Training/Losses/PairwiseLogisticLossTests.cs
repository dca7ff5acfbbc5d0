using Rerank.Training.Losses;
using static Rerank.Lucene.Tests.Training.Losses.LossTensors;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Training.Losses;

public sealed class PairwiseLogisticLossTests
{
    [Fact]
    public void Forward_PositiveAndTwoNegatives_AveragesTwoPairs()
    {
        using var scope = NewDisposeScope();
        // s = [2, 1, 0], y = [1, 0, 0]: pairs (0,1) and (0,2), loss softplus(s_j - s_i):
        //   softplus(1 - 2) = 0.313262, softplus(0 - 2) = 0.126928; mean = 0.220095
        var value = new PairwiseLogisticLoss().Forward(Matrix([[2f, 1f, 0f]]), Matrix([[1f, 0f, 0f]]), AllValid(1, 3)).item<float>();
        Assert.Equal(0.2200948, value, 1e-5);
    }

    [Fact]
    public void Forward_GradedLabelsInWrongOrder_UsesAllThreeOrderedPairs()
    {
        using var scope = NewDisposeScope();
        // s = [0, 1, 2], y = [2, 1, 0]: pairs (0,1): softplus(1) = 1.313262,
        //   (0,2): softplus(2) = 2.126928, (1,2): softplus(1) = 1.313262; mean = 4.753452 / 3 = 1.584484
        var value = new PairwiseLogisticLoss().Forward(Matrix([[0f, 1f, 2f]]), Matrix([[2f, 1f, 0f]]), AllValid(1, 3)).item<float>();
        Assert.Equal(1.584484, value, 1e-5);
    }

    [Fact]
    public void Forward_PaddedNegative_FormsNoPair()
    {
        using var scope = NewDisposeScope();
        // Only (0,1) is a valid pair: softplus(1 - 2) = 0.313262; the padded third cell is ignored.
        var value = new PairwiseLogisticLoss().Forward(Matrix([[2f, 1f, 9f]]), Matrix([[1f, 0f, 0f]]), Mask([[true, true, false]])).item<float>();
        Assert.Equal(0.313262, value, 1e-5);
    }
}
