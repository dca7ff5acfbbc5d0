using System.Globalization;
using System.Text;

namespace Rerank.Training.Mining;

/// <summary>What mining produced and what it saw, to judge the negatives before training on them.</summary>
/// <param name="Queries">Queries mined.</param>
/// <param name="Positives">Positives over all queries.</param>
/// <param name="NegativesPerQuery">Negatives (hard plus corpus) per query.</param>
/// <param name="ShortQueries">Queries that got fewer negatives than asked for (per positive × positives), in input order; their positives share negatives.</param>
/// <param name="CorpusNegatives">Random corpus negatives over all queries.</param>
/// <param name="FalseNegativesDropped">Candidates the false-negative filter removed (0 without a scorer).</param>
/// <param name="PositivesRetrieved">Positives (with an index id) that BM25 returned within the top range_max.</param>
/// <param name="PositivesNotRetrieved">Positives (with an index id) that BM25 did not return within the top range_max.</param>
/// <param name="PositivesAboveRange">Retrieved positives ranked above range_min (excluded from negatives either way).</param>
/// <param name="PositivePositions">0-based BM25 positions of the retrieved positives.</param>
/// <param name="PositiveBm25">BM25 scores of the retrieved positives.</param>
/// <param name="NegativeBm25">BM25 scores of the hard negatives picked (corpus negatives have none).</param>
public sealed record MiningReport(
    int Queries,
    int Positives,
    Summary NegativesPerQuery,
    IReadOnlyList<ShortQuery> ShortQueries,
    int CorpusNegatives,
    int FalseNegativesDropped,
    int PositivesRetrieved,
    int PositivesNotRetrieved,
    int PositivesAboveRange,
    Summary PositivePositions,
    Summary PositiveBm25,
    Summary NegativeBm25)
{
    /// <summary>A few lines for a log or the console.</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"queries {Queries}, positives {Positives}");
        sb.AppendLine(inv, $"negatives per query: {NegativesPerQuery} (corpus negatives {CorpusNegatives}, false negatives dropped {FalseNegativesDropped})");
        var shortList = ShortQueries.Count == 0
            ? ""
            : " (" + string.Join(", ", ShortQueries.Take(10).Select(s => $"{s.QueryId}: {s.Got}/{s.Wanted}")) + (ShortQueries.Count > 10 ? ", ..." : "") + ")";
        sb.AppendLine(inv, $"queries short of negatives: {ShortQueries.Count}{shortList}");
        sb.AppendLine(inv, $"positives retrieved by the first stage: {PositivesRetrieved} (above range_min {PositivesAboveRange}), not retrieved {PositivesNotRetrieved}; positions {PositivePositions}");
        sb.AppendLine(inv, $"first-stage scores: positives {PositiveBm25}; negatives {NegativeBm25}");
        return sb.ToString();
    }
}
