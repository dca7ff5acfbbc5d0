namespace Rerank.Lucene.Reranking;

/// <summary>Numeric precision of cross-encoder inference.</summary>
public enum Precision
{
    /// <summary>32-bit floats: the reference (default).</summary>
    Fp32,

    /// <summary>
    /// bfloat16 weights and activations, logits returned as float32. Faster on CPUs with AVX-512 bf16
    /// (measured in docs/BENCHMARKS.md); use it only where the ranking-quality check there holds.
    /// </summary>
    Bf16,
}
