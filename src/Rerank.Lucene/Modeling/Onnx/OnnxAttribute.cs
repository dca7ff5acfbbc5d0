namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// One ONNX <c>AttributeProto</c>, keeping the single-valued forms (<c>f</c>, <c>i</c>,
/// <c>s</c>, <c>t</c>) and the repeated <c>ints</c>; other kinds are recorded by type only.
/// </summary>
/// <param name="Name">The attribute name, e.g. <c>epsilon</c>.</param>
/// <param name="Type">The ONNX attribute type code (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 7 INTS, ...).</param>
/// <param name="Float">The <c>f</c> value.</param>
/// <param name="Int">The <c>i</c> value.</param>
/// <param name="String">The <c>s</c> value, decoded as UTF-8.</param>
/// <param name="Tensor">The <c>t</c> value, if any.</param>
/// <param name="Ints">The <c>ints</c> values.</param>
internal sealed record OnnxAttribute(
    string Name,
    int Type,
    float Float,
    long Int,
    string String,
    OnnxTensor? Tensor,
    IReadOnlyList<long> Ints);
