namespace Rerank.Training.Losses;

/// <summary>
/// Which training objective the trainer minimises. Every loss reads a batch of rows, each row
/// being one query with its candidate documents (a positive first, then negatives), as a
/// [rows, candidates] score matrix with a validity mask for rows that have fewer negatives.
/// </summary>
public enum LossKind
{
    /// <summary>
    /// Pointwise binary cross-entropy on logits with a positive-class weight (the reranker guide's
    /// <c>BinaryCrossEntropyLoss</c>). The default: it is what cross-encoders such as
    /// ms-marco-MiniLM-L-6-v2 were trained with, and the model's logit stays a calibrated
    /// relevance score that <c>sigmoid</c> maps to a probability.
    /// </summary>
    BinaryCrossEntropy,

    /// <summary>
    /// Listwise softmax cross-entropy: the positive (index 0) must win a softmax over itself and
    /// its negatives (the guide's <c>CachedMultipleNegativesRankingLoss</c> idea, with hard negatives).
    /// </summary>
    ListwiseSoftmax,

    /// <summary>
    /// Pairwise logistic loss (RankNet) over every (higher label, lower label) pair in a row:
    /// <c>log(1 + exp(-(s_i - s_j)))</c>. Needs no teacher model, unlike MarginMSE.
    /// </summary>
    PairwiseLogistic,
}
