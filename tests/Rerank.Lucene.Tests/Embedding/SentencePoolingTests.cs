using Rerank.Lucene.Embedding;
using Rerank.Lucene.Native;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Embedding;

/// <summary>Pooling and normalisation on tensors small enough to check by hand.</summary>
public class SentencePoolingTests
{
    // Two rows, 3 positions, hidden 2. Row 0 has 2 real tokens and a padding position holding
    // large garbage; row 1 has 3 real tokens.
    private static readonly float[] Hidden =
    [
        1, 2,   3, 4,   1000, -1000,
        0, 0,   6, 3,   3, 9,
    ];
    private static readonly long[] Mask = [1, 1, 0, 1, 1, 1];

    [Fact]
    public void Mean_IgnoresPaddingPositions()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var pooled = SentencePooling.Pool(tensor(Hidden, [2, 3, 2]), tensor(Mask, [2, 3]), PoolingMode.Mean);

        // Row 0: ((1+3)/2, (2+4)/2) = (2, 3); row 1: ((0+6+3)/3, (0+3+9)/3) = (3, 4).
        Assert.Equal([2f, 3f, 3f, 4f], pooled.data<float>().ToArray());
    }

    [Fact]
    public void Mean_PaddingValuesChanged_SameResult()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var other = (float[])Hidden.Clone();
        other[4] = -7; other[5] = 12345;
        var a = SentencePooling.Pool(tensor(Hidden, [2, 3, 2]), tensor(Mask, [2, 3]), PoolingMode.Mean).data<float>().ToArray();
        var b = SentencePooling.Pool(tensor(other, [2, 3, 2]), tensor(Mask, [2, 3]), PoolingMode.Mean).data<float>().ToArray();

        Assert.Equal(a, b);
    }

    [Fact]
    public void Cls_TakesTheFirstPosition()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var pooled = SentencePooling.Pool(tensor(Hidden, [2, 3, 2]), tensor(Mask, [2, 3]), PoolingMode.Cls);

        Assert.Equal([1f, 2f, 0f, 0f], pooled.data<float>().ToArray());
    }

    [Fact]
    public void L2Normalize_DividesByTheNorm_ZeroRowStaysZero()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var normalized = SentencePooling.L2Normalize(tensor(new float[] { 3, 4, 0, 0 }, [2, 2]));

        // (3, 4) / 5 = (0.6, 0.8); (0, 0) / max(0, 1e-12) = (0, 0).
        var values = normalized.data<float>().ToArray();
        Assert.Equal(0.6f, values[0], 6);
        Assert.Equal(0.8f, values[1], 6);
        Assert.Equal([0f, 0f], values[2..]);
    }
}
