using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Training.Losses;

/// <summary>Builds the [rows, candidates] inputs of a ranking loss from small arrays.</summary>
internal static class LossTensors
{
    public static Tensor Matrix(float[][] rows) =>
        tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });

    public static Tensor Mask(bool[][] rows) =>
        tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });

    public static Tensor AllValid(int rows, int columns) => ones(new long[] { rows, columns }, ScalarType.Bool);
}
