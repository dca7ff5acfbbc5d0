using Rerank.Training.Losses;
using static Rerank.Lucene.Tests.Training.Losses.LossTensors;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Training.Losses;

public sealed class BinaryCrossEntropyLossTests
{
    [Fact]
    public void Forward_OnePositiveTwoNegatives_MatchesHandComputedMean()
    {
        using var scope = NewDisposeScope();
        var loss = new BinaryCrossEntropyLoss(positiveWeight: 2);
        // s = [2, -1, 0], y = [1, 0, 0], w = 2; softplus(x) = ln(1 + e^x).
        //   positive: w * softplus(-2) = 2 * 0.126928 = 0.253856
        //   negative: softplus(-1) = 0.313262;  negative: softplus(0) = ln 2 = 0.693147
        //   mean over 3 cells = 1.260265 / 3 = 0.420088
        var value = loss.Forward(Matrix([[2f, -1f, 0f]]), Matrix([[1f, 0f, 0f]]), AllValid(1, 3)).item<float>();
        Assert.Equal(0.420088, value, 1e-5);
    }

    [Fact]
    public void Forward_SoftLabel_WeighsBothTerms()
    {
        using var scope = NewDisposeScope();
        var loss = new BinaryCrossEntropyLoss(positiveWeight: 3);
        // s = 1, y = 0.5, w = 3: 3 * 0.5 * softplus(-1) + 0.5 * softplus(1)
        //   = 1.5 * 0.313262 + 0.5 * 1.313262 = 0.469893 + 0.656631 = 1.126523
        var value = loss.Forward(Matrix([[1f]]), Matrix([[0.5f]]), AllValid(1, 1)).item<float>();
        Assert.Equal(1.126523, value, 1e-5);
    }

    [Fact]
    public void Forward_PaddedCell_IsIgnored()
    {
        using var scope = NewDisposeScope();
        var loss = new BinaryCrossEntropyLoss(positiveWeight: 1);
        // Valid cells: s = 0 (y = 1) and s = 0 (y = 0): each ln 2; mean = 0.693147. The padded
        // cell (s = 100, y = 0) would add softplus(100) = 100 if it were counted.
        var value = loss.Forward(Matrix([[0f, 0f, 100f]]), Matrix([[1f, 0f, 0f]]), Mask([[true, true, false]])).item<float>();
        Assert.Equal(0.693147, value, 1e-5);
    }

    [Fact]
    public void Constructor_ZeroWeight_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryCrossEntropyLoss(0));
        Assert.StartsWith("The positive weight of binary cross-entropy must be a finite number > 0", ex.Message);
    }

    [Fact]
    public void Forward_Gradient_IsSigmoidMinusLabelOverCells()
    {
        using var scope = NewDisposeScope();
        var loss = new BinaryCrossEntropyLoss(positiveWeight: 1);
        var s = Matrix([[0f, 0f]]).requires_grad_();
        loss.Forward(s, Matrix([[1f, 0f]]), AllValid(1, 2)).backward();
        // d/ds mean = (sigmoid(s) - y) / 2 = (0.5 - 1) / 2 = -0.25 and (0.5 - 0) / 2 = 0.25.
        var g = s.grad!.data<float>().ToArray();
        Assert.Equal(-0.25, g[0], 6);
        Assert.Equal(0.25, g[1], 6);
    }
}
