using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tokenization;

/// <summary>
/// How both encoders (the cross-encoder and the bi-encoder) run many encodings through a model: sorted
/// longest first (so the first batch shows the peak memory at once; ties by input order), cut into
/// batches, each padded only to its own longest member, and the rows written back to input order.
/// On 2 CPU cores sorting by length was worth 1.5-2x on real documents (docs/BENCHMARKS.md).
/// </summary>
internal static class LengthSortedBatches
{
    /// <summary>Runs <paramref name="forward"/> over the batches and returns its rows in input order.</summary>
    /// <param name="encodings">The encodings, in input order.</param>
    /// <param name="batchSize">Encodings per batch (at least 1).</param>
    /// <param name="width">Values per row that <paramref name="forward"/> returns (1 for a score, the dimension for a vector).</param>
    /// <param name="pad">Pads a batch of encodings (the tokenizer's <c>Pad</c>).</param>
    /// <param name="forward">One padded batch through the model: row-major floats [batch, width] on the host.</param>
    /// <param name="ct">Checked between batches.</param>
    /// <returns>Row-major floats [encodings.Count, width]; row i belongs to encoding i.</returns>
    public static float[] Run(IReadOnlyList<PairEncoding> encodings, int batchSize, int width,
        Func<IReadOnlyList<PairEncoding>, EncodedBatch> pad, Func<EncodedBatch, float[]> forward, CancellationToken ct = default)
    {
        var result = new float[encodings.Count * width];
        var order = Enumerable.Range(0, encodings.Count).OrderByDescending(i => encodings[i].Length).ThenBy(i => i).ToArray();
        for (var start = 0; start < order.Length; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            var slice = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            var rows = forward(pad(slice.Select(i => encodings[i]).ToList()));
            for (var j = 0; j < slice.Length; j++) Array.Copy(rows, j * width, result, slice[j] * width, width);
        }
        return result;
    }

    /// <summary>The batch as the three int64 tensors a BERT takes, [batch, length] each, on <paramref name="device"/>.</summary>
    public static (Tensor InputIds, Tensor TokenTypeIds, Tensor AttentionMask) ToTensors(EncodedBatch batch, Device device)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        return (tensor(batch.InputIds, shape, ScalarType.Int64, device),
            tensor(batch.TokenTypeIds, shape, ScalarType.Int64, device),
            tensor(batch.AttentionMask, shape, ScalarType.Int64, device));
    }
}
