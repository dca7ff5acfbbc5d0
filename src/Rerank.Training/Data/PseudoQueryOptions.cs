namespace Rerank.Training.Data;

/// <summary>Settings for self-supervised pseudo-queries, all with defaults.</summary>
public sealed record PseudoQueryOptions
{
    /// <summary>
    /// Documents whose body has fewer words are skipped. Default 30: after an inverse-cloze span is
    /// taken out, a shorter document leaves too little context to be a meaningful positive.
    /// </summary>
    public int MinDocumentWords { get; init; } = 30;

    /// <summary>A sentence needs at least this many words to become a query. Default 4: shorter ones are headings or fragments.</summary>
    public int MinQueryWords { get; init; } = 4;

    /// <summary>A sentence with more words is not used as a query. Default 40: longer sentences read like passages, not queries.</summary>
    public int MaxQueryWords { get; init; } = 40;

    /// <summary>Use a document's title as its query when it has one. Default true: titles are the closest thing to a real query a corpus holds.</summary>
    public bool UseTitles { get; init; } = true;

    /// <summary>Keep at most this many pseudo-queries, a seeded sample; null keeps all. Default null.</summary>
    public int? MaxQueries { get; init; }

    /// <summary>Seed of the span choice and of the sample. Default 42; each document draws from its own stream.</summary>
    public int Seed { get; init; } = 42;
}
