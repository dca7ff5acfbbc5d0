namespace Rerank.Training.Data;

/// <summary>Where self-supervised pseudo-queries come from (<c>rerank-train --pseudo-queries</c>).</summary>
public enum PseudoQuerySource
{
    /// <summary>
    /// Inverse cloze (Lee et al., 2019), the default: one sentence of each document is the query and is removed
    /// from the positive, so the model must match on context rather than on copied words.
    /// </summary>
    Sentences,

    /// <summary>
    /// A document's title is its query (the positive is its text without the title); documents without a title
    /// give an inverse-cloze sentence. The first stage ranks most titles' documents first on their own (on SciFact
    /// at mean rank about 1.05), so they teach the cross-encoder little.
    /// </summary>
    Titles,

    /// <summary>Both: every document gives an inverse-cloze sentence, and a titled document also gives its title.</summary>
    Both,
}

/// <summary>Settings for self-supervised pseudo-queries, all with defaults.</summary>
public sealed record PseudoQueryOptions
{
    /// <summary>
    /// Documents whose body has fewer words give no inverse-cloze (sentence) query. Default 30: after an inverse-cloze
    /// span is taken out, a shorter document leaves too little context to be a meaningful positive. Title queries do
    /// not need it (only a title and a non-empty text).
    /// </summary>
    public int MinDocumentWords { get; init; } = 30;

    /// <summary>A sentence needs at least this many words to become a query. Default 4: shorter ones are headings or fragments.</summary>
    public int MinQueryWords { get; init; } = 4;

    /// <summary>A sentence with more words is not used as a query. Default 40: longer sentences read like passages, not queries.</summary>
    public int MaxQueryWords { get; init; } = 40;

    /// <summary>
    /// Which pseudo-queries are made. Default <see cref="PseudoQuerySource.Sentences"/>: a sentence the positive no
    /// longer contains is a query the first stage's copied words do not solve for the cross-encoder.
    /// </summary>
    public PseudoQuerySource Source { get; init; } = PseudoQuerySource.Sentences;

    /// <summary>Keep at most this many pseudo-queries, a seeded sample; null keeps all. Default null.</summary>
    public int? MaxQueries { get; init; }

    /// <summary>Seed of the span choice and of the sample. Default 42; each document draws from its own stream.</summary>
    public int Seed { get; init; } = 42;
}
