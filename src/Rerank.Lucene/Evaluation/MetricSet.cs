using System.Text.Json.Serialization;

namespace Rerank.Lucene.Evaluation;

/// <summary>
/// The metrics reported for one query, or their mean over queries. Serialized with
/// System.Text.Json as <c>{"ndcg@10": ..., "mrr@10": ..., "map": ..., "recall@100": ..., "p@10": ...}</c>;
/// the command-line evaluation output is built from this shape, so keep the names stable.
/// See <see cref="RankingMetrics"/> for the exact definitions.
/// </summary>
/// <param name="Ndcg10">nDCG@10 as trec_eval's <c>ndcg_cut.10</c>.</param>
/// <param name="Mrr10">Reciprocal rank of the first relevant document in the top 10 (<c>trec_eval -M 10 -m recip_rank</c>; trec_eval has no cut version of recip_rank); its mean is MRR@10.</param>
/// <param name="Map">Average precision over the whole ranking (trec_eval <c>map</c>); its mean is MAP.</param>
/// <param name="Recall100">Recall in the top 100 (trec_eval <c>recall_100</c>).</param>
/// <param name="P10">Precision in the top 10, always divided by 10 (trec_eval <c>P_10</c>).</param>
public sealed record MetricSet(
    [property: JsonPropertyName("ndcg@10")] double Ndcg10,
    [property: JsonPropertyName("mrr@10")] double Mrr10,
    [property: JsonPropertyName("map")] double Map,
    [property: JsonPropertyName("recall@100")] double Recall100,
    [property: JsonPropertyName("p@10")] double P10)
{
    /// <summary>All metrics 0: the score of a query with no result.</summary>
    public static MetricSet Zero { get; } = new(0, 0, 0, 0, 0);
}
