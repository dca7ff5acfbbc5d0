namespace Rerank.Lucene.Reranking;

/// <summary>What a <see cref="RerankingSearcher"/> retrieves, rescores and returns.</summary>
public sealed record RerankOptions
{
    /// <summary>First-stage candidates (BM25, dense or hybrid) rescored per query. Default 100 (the BEIR reranking setup).</summary>
    public int Candidates { get; init; } = 100;

    /// <summary>
    /// How BM25 and cross-encoder scores combine. Default null: the mode stored with the model
    /// (<c>score_mode</c> in <c>searchrerank.json</c>, chosen by the trainer on dev queries), else
    /// <see cref="ScoreMode.Replace"/>. A mode set here always wins.
    /// </summary>
    public ScoreMode? ScoreMode { get; init; }

    /// <summary>
    /// Cross-encoder weight for <see cref="ScoreMode.Interpolate"/>. Default null: the weight the trainer
    /// tuned on dev queries and stored with the model; an error when the model has none.
    /// </summary>
    public double? InterpolationWeight { get; init; }

    /// <summary>
    /// How documents are split into passages and scored (BERT-FirstP/MaxP/SumP). Default null: the passages
    /// stored with the model (<c>passages</c> in <c>searchrerank.json</c>), else whole documents.
    /// </summary>
    public PassageOptions? Passages { get; init; }

    internal PassageOptions ResolvePassages(CrossEncoder encoder) =>
        (Passages ?? encoder.Settings.Passages ?? PassageOptions.WholeDocument).Validated("passages");

    internal ScoreMode ResolveMode(CrossEncoder encoder) => ScoreMode ?? encoder.Settings.RecommendedMode ?? Reranking.ScoreMode.Replace;

    /// <summary>
    /// The weight to use with <paramref name="encoder"/> in the resolved mode over the first stage named
    /// <paramref name="firstStage"/> ("bm25", "dense", "hybrid"), or a clear error: the weight set here, else the
    /// model's weight tuned for that first stage (<c>first_stage_weights</c>), else its general weight.
    /// </summary>
    internal double ResolveWeight(CrossEncoder encoder, string firstStage = "bm25")
    {
        if (ResolveMode(encoder) == Reranking.ScoreMode.Replace) return 1;
        return InterpolationWeight ?? encoder.Settings.WeightFor(firstStage) ?? throw new InvalidInputException(
            $"Score mode interpolate needs a weight, and model '{encoder.ModelPath}' stores none ({RerankerSettings.FileName}). " +
            "Pass --interpolation-weight W (0 to 1), or use a model trained by rerank-train, which tunes it on dev queries.");
    }
}
