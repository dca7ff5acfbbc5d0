namespace Rerank.Lucene.Modeling;

/// <summary>
/// A named weight held on the host as float32 values in row-major order, independent of
/// TorchSharp. It is the exchange type between weight importers (ONNX, safetensors) and
/// the TorchSharp model.
/// </summary>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Values">Row-major values; the length equals the product of <paramref name="Shape"/>.</param>
public sealed record TensorData(long[] Shape, float[] Values)
{
    /// <summary>The number of elements the shape describes.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);
}
