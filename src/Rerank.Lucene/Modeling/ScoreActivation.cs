namespace Rerank.Lucene.Modeling;

/// <summary>
/// The function a cross-encoder applies to its single logit to get a score, as
/// sentence-transformers' <c>CrossEncoder</c> does (its <c>activation_fn</c>).
/// </summary>
public enum ScoreActivation
{
    /// <summary>The raw logit (<c>torch.nn.Identity</c>).</summary>
    Identity,

    /// <summary>The logistic function of the logit, in (0, 1) (<c>torch.nn.Sigmoid</c>).</summary>
    Sigmoid,
}
