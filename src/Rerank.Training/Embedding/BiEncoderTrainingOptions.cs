using Rerank.Lucene;

namespace Rerank.Training.Embedding;

/// <summary>Settings of <see cref="BiEncoderTrainer"/>; the defaults are sentence-transformers' usual MNRL recipe.</summary>
internal sealed record BiEncoderTrainingOptions
{
    /// <summary>Peak AdamW learning rate. Default 2e-5 (sentence-transformers' default).</summary>
    public double LearningRate { get; init; } = 2e-5;

    /// <summary>Rows per batch, i.e. B of the loss: every query sees 2B - 1 negatives. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Passes over the rows. Default 1.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Share of the updates spent warming up linearly (then linear decay to 0). Default 0.1.</summary>
    public double WarmupRatio { get; init; } = 0.1;

    /// <summary>AdamW weight decay (not on biases and LayerNorm weights). Default 0.01 (sentence-transformers' fit).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Global gradient-norm clipping; 0 turns it off. Default 1.0.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Most tokens per query, [CLS] and [SEP] included. Default 64.</summary>
    public int QueryMaxLength { get; init; } = 64;

    /// <summary>Most tokens per document; longer ones are cut at the end. Default 256 (all-MiniLM-L6-v2's max_seq_length).</summary>
    public int PassageMaxLength { get; init; } = 256;

    /// <summary>The loss's scale on the cosine. Default 20.</summary>
    public double Scale { get; init; } = MultipleNegativesRankingLoss.DefaultScale;

    /// <summary>The one seed: batch order (<see cref="Data.SeededRandom"/>) and dropout (<c>torch.manual_seed</c>). Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0 && double.IsFinite(LearningRate))) throw new InvalidInputException($"The learning rate must be a positive number (default 2e-5); got {LearningRate}.");
        if (BatchSize < 1) throw new InvalidInputException($"The batch size must be at least 1 (default 32); got {BatchSize}.");
        if (Epochs < 1) throw new InvalidInputException($"Epochs must be at least 1 (default 1); got {Epochs}.");
        if (!(WarmupRatio >= 0 && WarmupRatio <= 1)) throw new InvalidInputException($"The warmup ratio must be between 0 and 1 (default 0.1); got {WarmupRatio}.");
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay))) throw new InvalidInputException($"Weight decay must be 0 or more (default 0.01); got {WeightDecay}.");
        if (!(MaxGradNorm >= 0 && double.IsFinite(MaxGradNorm))) throw new InvalidInputException($"The clipping norm must be 0 or more (default 1.0); got {MaxGradNorm}.");
        if (QueryMaxLength < 3 || PassageMaxLength < 3) throw new InvalidInputException($"Max lengths must be at least 3 tokens (defaults 64 and 256); got {QueryMaxLength} and {PassageMaxLength}.");
        if (!(Scale > 0 && double.IsFinite(Scale))) throw new InvalidInputException($"The loss scale must be a positive number (default 20); got {Scale}.");
    }
}
