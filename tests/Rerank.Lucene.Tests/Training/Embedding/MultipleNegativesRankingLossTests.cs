using Rerank.Training.Embedding;
using Rerank.Lucene.Tests.Native;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Training.Embedding;

[Collection(TorchCollection.Name)]
public sealed class MultipleNegativesRankingLossTests
{
    private static Tensor Rows(params float[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    [Fact]
    public void Forward_OneRowWithHardNegative_IsSoftmaxCrossEntropyOfScaledCosines()
    {
        using var scope = NewDisposeScope();
        // q = (3, 4), p = (4, 3), n = (0, 5), none of unit length: cos(q, p) = 24 / 25 = 0.96, cos(q, n) = 20 / 25 = 0.8.
        // Scores 20 * [0.96, 0.8] = [19.2, 16]; loss = -ln(e^19.2 / (e^19.2 + e^16)) = ln(1 + e^-3.2) = ln(1.0407622) = 0.0399533.
        var value = new MultipleNegativesRankingLoss().Forward(Rows([3f, 4f]), Rows([4f, 3f]), Rows([0f, 5f])).item<float>();
        Assert.Equal(0.0399533, value, 1e-6);
    }

    [Fact]
    public void Forward_TwoRows_ScoresEveryQueryAgainstAllPositivesAndNegatives()
    {
        using var scope = NewDisposeScope();
        // q1 = (1, 0), q2 = (0, 1); candidates [p1, p2, n1, n2] = [(1, 0), (1, 1), (0, 2), (-1, 0)]; r = 20 / sqrt(2) = 14.1421356.
        // Row 1 (target p1): scores [20, r, 0, -20]: ln(e^20 + e^r + 1 + e^-20) - 20 = ln(1 + e^-5.8578644 + ...) = 0.0028533.
        // Row 2 (target p2): scores [0, r, 20, 0]: ln(1 + e^r + e^20 + 1) - r = 20 - r + ln(1 + e^-5.8578644 + ...) = 5.8607176.
        // Mean: (0.0028533 + 5.8607176) / 2 = 2.9317855.
        var value = new MultipleNegativesRankingLoss().Forward(Rows([1f, 0f], [0f, 1f]), Rows([1f, 0f], [1f, 1f]), Rows([0f, 2f], [-1f, 0f])).item<float>();
        Assert.Equal(2.9317855, value, 1e-5);
    }

    [Fact]
    public void Forward_WithoutHardNegatives_UsesInBatchPositivesOnly()
    {
        using var scope = NewDisposeScope();
        // As above without n: row 1 ln(e^20 + e^r) - 20 = 0.0028533; row 2 ln(1 + e^r) - r = ln(1 + e^-r) = 7.2135e-7. Mean 0.0014270.
        var value = new MultipleNegativesRankingLoss().Forward(Rows([1f, 0f], [0f, 1f]), Rows([1f, 0f], [1f, 1f]), null).item<float>();
        Assert.Equal(0.0014270, value, 1e-6);
    }

    [Fact]
    public void Forward_Gradient_IsScaledSoftmaxMinusTargetThroughTheCosine()
    {
        using var scope = NewDisposeScope();
        // One row, q = (1, 0) (unit length, so d cos(q, c) / dq = c / |c| - cos * q), candidates p = (1, 0), n = (0, 1):
        // s = [20, 0], softmax = [1 / (1 + e^-20), e^-20 / (1 + e^-20)] = [1 - e, e] with e = 2.0611536e-9.
        // dL/ds = [-e, e]; dL/dq = 20 * (-e * (p - 1 * q) + e * (n - 0 * q)) = 20 * e * (0, 1) = (0, 4.1223072e-8).
        var q = Rows([1f, 0f]).requires_grad_(true);
        new MultipleNegativesRankingLoss().Forward(q, Rows([1f, 0f]), Rows([0f, 1f])).backward();
        var grad = q.grad!.data<float>().ToArray();
        Assert.Equal(0.0, grad[0], 1e-12);
        Assert.Equal(4.1223072e-8, grad[1], 1e-13);
    }

    [Fact]
    public void Forward_ShapesDisagree_Throws()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => new MultipleNegativesRankingLoss().Forward(Rows([1f, 0f]), Rows([1f, 0f], [0f, 1f]), null));
        Assert.Equal("Queries, positives and negatives must be [B, H] of one shape; got [1, 2], [2, 2].", e.Message);
    }
}
