namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>One ONNX <c>NodeProto</c>: an operator with named inputs and outputs.</summary>
/// <param name="Name">The node name (may be empty).</param>
/// <param name="OpType">The operator, e.g. <c>MatMul</c>.</param>
/// <param name="Inputs">Value names consumed, in order; an empty name is an omitted optional input.</param>
/// <param name="Outputs">Value names produced, in order.</param>
/// <param name="Attributes">The attributes, by name.</param>
internal sealed record OnnxNode(
    string Name,
    string OpType,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes);
