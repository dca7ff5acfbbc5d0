using Rerank.Training.Losses;
using static Rerank.Lucene.Tests.Training.Losses.LossTensors;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Training.Losses;

public sealed class ListwiseSoftmaxLossTests
{
    [Fact]
    public void Forward_OneRow_IsLogSumExpMinusPositive()
    {
        using var scope = NewDisposeScope();
        // s = [2, 1, 0]: ln(e^2 + e^1 + e^0) - 2 = ln(7.389056 + 2.718282 + 1) - 2
        //   = ln(11.107338) - 2 = 2.407606 - 2 = 0.407606
        var value = new ListwiseSoftmaxLoss().Forward(Matrix([[2f, 1f, 0f]]), Matrix([[1f, 0f, 0f]]), AllValid(1, 3)).item<float>();
        Assert.Equal(0.407606, value, 1e-5);
    }

    [Fact]
    public void Forward_PaddedRow_AveragesRowsOverValidCandidates()
    {
        using var scope = NewDisposeScope();
        // Row 1: 0.407606 (as above). Row 2: s = [1, 3, pad]: ln(e^1 + e^3) - 1
        //   = ln(2.718282 + 20.085537) - 1 = 3.126928 - 1 = 2.126928.
        // Mean over rows: (0.407606 + 2.126928) / 2 = 1.267267
        var value = new ListwiseSoftmaxLoss().Forward(
            Matrix([[2f, 1f, 0f], [1f, 3f, 50f]]),
            Matrix([[1f, 0f, 0f], [1f, 0f, 0f]]),
            Mask([[true, true, true], [true, true, false]])).item<float>();
        Assert.Equal(1.267267, value, 1e-5);
    }
}
