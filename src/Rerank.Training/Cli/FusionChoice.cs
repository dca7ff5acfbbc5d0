using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Rerank.Lucene;
using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;

namespace Rerank.Training.Cli;

/// <summary>What a run decided about the hybrid fusion: the setting every model folder it writes carries (null: the
/// library's default), the model card's paragraph about it (null when there is nothing to say), and the line a resumed
/// cross-validation must find unchanged in its plan (the first stage negatives were mined on and candidates judged on).</summary>
internal sealed record FusionOutcome(FusionSettings? Setting, string? Card, string PlanLine, bool Retuned = false);

/// <summary>
/// rerank-train's hybrid fusion for one run: where it starts (<see cref="StartFrom"/>) and whether the weight tuned on the
/// index's judged queries replaces it (<see cref="Tune"/>, by <see cref="FusionTuning"/>'s rule).
/// </summary>
internal static class FusionChoice
{
    /// <summary>
    /// The fusion the run starts from: the starting model's own (<paramref name="baseFusion"/>) when the first stage is hybrid
    /// and it was tuned over this index's embedder; null (the default weight) otherwise, said in the log when the base's
    /// fusion cannot apply to this index.
    /// </summary>
    public static FusionSettings? StartFrom(FusionSettings? baseFusion, Bm25Searcher bm25, string? retrieval, ILogger log)
    {
        var vectors = bm25.Manifest.Embeddings;
        if (baseFusion is null || vectors is null || retrieval is "bm25" or "dense") return null;
        if (baseFusion.Matches(vectors)) return baseFusion;
        log.LogWarning("The starting model's fusion (dense weight {Weight}) was tuned over vectors of {Tuned}, and this index holds vectors of {Vectors}: " +
            "the run starts from the default dense weight {Default} instead, and the model it writes carries only a fusion tuned here",
            baseFusion.DenseWeight.ToString("0.##", CultureInfo.InvariantCulture), baseFusion.DescribeVectors(), FusionSettings.DescribeVectors(vectors),
            HybridOptions.DefaultDenseWeight.ToString("0.##", CultureInfo.InvariantCulture));
        return null;
    }

    /// <summary>
    /// Tunes the hybrid stage's dense weight on the judged queries of this index (<see cref="FusionTuning"/>: cross-fitted,
    /// kept only when it beats the start's weight beyond noise) and returns the first stage the cross-encoder is then judged
    /// on, with the outcome the model folder records. Judged queries: --qrels' (training and held-out alike: training the
    /// cross-encoder does not touch the first stage) or --dev-qrels'; a self-supervised run without --dev-qrels has none, and
    /// a BM25 or dense first stage has no weight to tune.
    /// </summary>
    public static (ICandidateRetriever Served, FusionOutcome Outcome) Tune(ParseResult parse, Bm25Searcher bm25, FirstStages firstStage, TrainingData data,
        FusionSettings? baseFusion, FusionSettings? startFusion, int seed, ILogger log, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        if (firstStage.Kind != "hybrid" || firstStage.Hybrid is not { } hybrid || bm25.Manifest.Embeddings is not { } vectors)
            return (firstStage.Chosen, new FusionOutcome(baseFusion, baseFusion is null ? null : string.Create(inv,
                $"Not tuned: the first stage was {firstStage.Kind}{(bm25.Manifest.Embeddings is null ? " (the index has no document vectors)" : "")}, with no fusion to tune. " +
                $"The starting model's fusion (dense weight {baseFusion.DenseWeight:0.##}, tuned over vectors of {baseFusion.Embedder}) is carried unchanged: search-host's hybrid stage uses it with this model."),
                $"first stage: {firstStage.Kind}"));
        var o = TrainCommand.DataOptions(parse);
        var judged = (o.Qrels is not null ? data.Groups ?? [] : []).Concat(o.Qrels is not null || o.DevQrels is not null ? data.Dev : []).ToList();
        var startWeight = hybrid.Options.DenseWeight;
        string Plan(double judgedAt) => string.Create(inv, $"first stage: hybrid, negatives mined at dense weight {startWeight:R}, candidates judged at dense weight {judgedAt:R}");
        var study = judged.Count == 0 ? null : FusionTuning.Measure(bm25, firstStage.Dense!, hybrid.Options.Depth, judged, startWeight, ct);
        if (study is null || RandomizationTest.SmallestPValue(study.QueryIds.Count) >= StartComparison.Alpha)
        {
            var why = study is null
                ? "no judged queries of this index (give --queries with --qrels or --dev-qrels)"
                : $"{Words.Count(study.QueryIds.Count, "judged query is", "judged queries are")} too few for any change to pass the paired randomization test";
            log.LogInformation("Hybrid fusion not tuned: {Why}; dense weight {Weight} as the start", why, startWeight.ToString("0.##", inv));
            return (firstStage.Chosen, new FusionOutcome(startFusion, string.Create(inv, $"Not tuned: {why}. Dense weight {startWeight:0.##} (the start's)."), Plan(startWeight)));
        }
        var decision = FusionTuning.Decide(study, startWeight, seed);
        var text = decision.Describe();
        log.LogInformation("Fusion: {Decision}", text);
        if (!decision.Kept) return (firstStage.Chosen, new FusionOutcome(startFusion, text, Plan(startWeight)));
        var tuned = new FusionSettings(FusionSettings.MinMax, decision.TunedWeight, vectors.Model, vectors.Fingerprint,
            string.Create(inv, $"rerank-train on {bm25.Manifest.Source}: {decision.Queries} judged queries, {decision.Folds}-fold cross-fitted hybrid nDCG@10 {decision.CrossFitted.Average():F4} vs {decision.Start.Average():F4} at dense weight {startWeight:0.##}, p = {decision.P:0.000}"),
            FusionSettings.VectorsOf(vectors));
        var served = new HybridSearcher(bm25, firstStage.Dense!, tuned.ToHybridOptions() with { Depth = hybrid.Options.Depth });
        log.LogInformation("First stage for validation and the comparison with the starting model: hybrid with dense weight {Weight}", decision.TunedWeight.ToString("0.##", inv));
        return (served, new FusionOutcome(tuned, text, Plan(decision.TunedWeight), Retuned: true));
    }
}
