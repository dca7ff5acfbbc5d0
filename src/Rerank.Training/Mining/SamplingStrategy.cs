namespace Rerank.Training.Mining;

/// <summary>How negatives are picked from the candidates left after filtering.</summary>
public enum SamplingStrategy
{
    /// <summary>The best-ranked remaining candidates: the hardest negatives, the same every run.</summary>
    Top,

    /// <summary>A uniform seeded sample of the remaining candidates, returned in rank order: a mix of hard and medium negatives.</summary>
    Random,
}
