namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>The result of importing the bundled ONNX encoder.</summary>
/// <param name="Architecture">The sizes the weights were checked against.</param>
/// <param name="Weights">Every Hugging Face <c>BertModel</c> key, exactly once, in Hugging Face layout.</param>
/// <param name="Facts">Numerical details read from the graph (LayerNorm epsilon, activation, attention scale).</param>
internal sealed record ImportedEncoder(
    MiniLmArchitecture Architecture,
    IReadOnlyDictionary<string, TensorData> Weights,
    MiniLmGraphFacts Facts);
