namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// Numerical details read from the ONNX graph that decide whether a re-implementation of
/// the model matches it, beyond the weights.
/// </summary>
/// <param name="LayerNormEps">The epsilon added to the variance in every LayerNorm (all must agree).</param>
/// <param name="HiddenAct">The Hugging Face name of the feed-forward activation: "gelu" (erf form) or "gelu_new" (tanh form).</param>
/// <param name="AttentionScale">The factor applied to query-key scores before softmax (all layers must agree).</param>
/// <param name="NumAttentionHeads">The head count from the attention reshapes.</param>
/// <param name="MaskFillValue">The additive value for masked key positions, from <c>(1 - mask) * value</c>, or null when not found.</param>
/// <param name="PositionIdsAreArange">True when the position-id buffer is 0, 1, ..., max_positions - 1.</param>
internal sealed record MiniLmGraphFacts(
    float LayerNormEps,
    string HiddenAct,
    float AttentionScale,
    int NumAttentionHeads,
    float? MaskFillValue,
    bool PositionIdsAreArange);
