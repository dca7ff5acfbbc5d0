using System.Globalization;
using Rerank.Lucene;

namespace Rerank.Training.Mining;

/// <summary>
/// Settings of hard-negative mining, all with defaults. Ranges use 0-based positions (the top
/// BM25 hit has position 0) and are half-open: [<see cref="RangeMin"/>, <see cref="RangeMax"/>).
/// </summary>
public sealed record MiningOptions
{
    /// <summary>
    /// Candidates ranked above this position are never negatives. Default 10: on sparse judgments
    /// (SciFact has about 1.1 judged documents per query) BM25's first hits are where unjudged
    /// relevant documents concentrate, and without a cross-encoder to filter them out they would be
    /// trained as negatives. The Sentence Transformers hard-negative datasets (e.g.
    /// natural-questions-hard-negatives) skip the 10 most similar for the same reason. On 50 SciFact
    /// train queries, 43 of 56 judged positives sit in BM25's top 10. Consider 0 when a
    /// false-negative scorer is supplied.
    /// </summary>
    public int RangeMin { get; init; } = 10;

    /// <summary>
    /// Retrieval depth, and the first position not considered. Default 100: the reranker rescores
    /// BM25's top 100 at search time, so negatives come from the same distribution it will face.
    /// </summary>
    public int RangeMax { get; init; } = 100;

    /// <summary>
    /// Hard negatives per positive: a query with P judged positives gets up to P times this many
    /// distinct negatives (fewer when its candidate pool runs out). Default 4: with one positive
    /// that is a 1:4 group, a common list size for listwise and multiple-negatives losses that
    /// keeps epochs short.
    /// </summary>
    public int NumNegatives { get; init; } = 4;

    /// <summary>
    /// Default <see cref="SamplingStrategy.Random"/>: a seeded sample over [10, 100) mixes hard and
    /// medium negatives; <see cref="SamplingStrategy.Top"/> would always take positions 10-13, just
    /// below the range where residual false negatives are densest.
    /// </summary>
    public SamplingStrategy Sampling { get; init; } = SamplingStrategy.Random;

    /// <summary>Extra random negatives drawn from the whole corpus per positive. Default 0 (hard negatives only).</summary>
    public int CorpusNegatives { get; init; }

    /// <summary>
    /// Margin of the false-negative filter (used only when a scorer is given): a candidate must
    /// score below <c>lowest positive score - margin</c>. Default 0: drop anything the scorer ranks
    /// at or above a known positive.
    /// </summary>
    public float FalseNegativeMargin { get; init; }

    /// <summary>The one seed for all sampling. Default 42. Each query draws from its own stream derived from seed and query id.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Throws <see cref="InvalidInputException"/> naming the setting at fault and a valid value.</summary>
    public void Validate()
    {
        if (RangeMin < 0)
            throw new InvalidInputException($"mining range_min is {RangeMin}; expected 0 or more (default 10).");
        if (RangeMax <= RangeMin)
            throw new InvalidInputException($"mining range [{RangeMin}, {RangeMax}) is empty; range_max must be greater than range_min (defaults 10 and 100).");
        if (NumNegatives < 0 || CorpusNegatives < 0)
            throw new InvalidInputException($"mining asks for {NumNegatives} hard and {CorpusNegatives} corpus negatives; expected counts of 0 or more (default 4 and 0).");
        if (NumNegatives + CorpusNegatives == 0)
            throw new InvalidInputException("mining asks for no negatives; set --negatives or --corpus-negatives to 1 or more.");
        if (!(FalseNegativeMargin >= 0 && float.IsFinite(FalseNegativeMargin)))
            throw new InvalidInputException(
                $"false-negative margin is {FalseNegativeMargin.ToString(CultureInfo.InvariantCulture)}; expected a finite number of 0 or more (default 0).");
    }
}
