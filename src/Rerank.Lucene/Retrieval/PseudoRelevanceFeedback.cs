namespace Rerank.Lucene.Retrieval;

/// <summary>
/// Settings of RM3 query expansion for BM25 (<see cref="Bm25Searcher.RankWithFeedback"/>): relevance model 3 of Abdul-Jaleel
/// et al., "UMass at TREC 2004: Novelty and HARD" (2004), in the form Anserini and Pyserini run it (<c>set_rm3</c>, whose
/// defaults these are: 10 feedback documents, 10 feedback terms, original query weight 0.5, feedback terms in at most 10%
/// of the documents).
/// </summary>
public sealed record Rm3Options
{
    /// <summary>How many of the feedback ranking's first documents the relevance model is estimated from; default 10.</summary>
    public int FeedbackDocuments { get; init; } = 10;

    /// <summary>How many terms each feedback document contributes, and the relevance model keeps; default 10.</summary>
    public int FeedbackTerms { get; init; } = 10;

    /// <summary>Weight of the original query's terms in the expanded query (the relevance model gets 1 minus it); default 0.5.</summary>
    public double OriginalQueryWeight { get; init; } = 0.5;

    /// <summary>A term found in more than this fraction of the index's documents is never a feedback term (a stop word of the collection); default 0.1.</summary>
    public double MaxDocumentFrequency { get; init; } = 0.1;

    /// <summary>Throws <see cref="InvalidInputException"/> naming the setting out of range.</summary>
    public void Validate()
    {
        if (FeedbackDocuments < 1) throw new InvalidInputException($"RM3 needs at least 1 feedback document; got {FeedbackDocuments}.");
        if (FeedbackTerms < 1) throw new InvalidInputException($"RM3 needs at least 1 feedback term; got {FeedbackTerms}.");
        if (OriginalQueryWeight is < 0 or > 1 || double.IsNaN(OriginalQueryWeight))
            throw new InvalidInputException($"RM3's original query weight must be between 0 and 1; got {OriginalQueryWeight}.");
        if (MaxDocumentFrequency is <= 0 or > 1 || double.IsNaN(MaxDocumentFrequency))
            throw new InvalidInputException($"RM3's document frequency limit must be above 0 and at most 1; got {MaxDocumentFrequency}.");
    }
}

/// <summary>
/// Settings of Rocchio feedback for dense retrieval (<see cref="DenseSearcher.Rocchio"/>): the query vector moved toward the
/// mean vector of the first feedback documents, q' = α q + β mean(d), as in Rocchio, "Relevance feedback in information
/// retrieval" (1971), applied to dense retrievers by Li et al., "Pseudo Relevance Feedback with Deep Language Models and
/// Dense Retrievers: Successes and Pitfalls" (TOIS 2023).
/// </summary>
public sealed record RocchioOptions
{
    /// <summary>How many of the feedback ranking's first documents are averaged; default 3.</summary>
    public int FeedbackDocuments { get; init; } = 3;

    /// <summary>α, the weight of the query vector; default 1.</summary>
    public double Alpha { get; init; } = 1;

    /// <summary>β, the weight of the feedback documents' mean vector; default 1.</summary>
    public double Beta { get; init; } = 1;

    /// <summary>Throws <see cref="InvalidInputException"/> naming the setting out of range.</summary>
    public void Validate()
    {
        if (FeedbackDocuments < 1) throw new InvalidInputException($"Rocchio feedback needs at least 1 document; got {FeedbackDocuments}.");
        if (!double.IsFinite(Alpha) || Alpha < 0 || !double.IsFinite(Beta) || Beta < 0 || Alpha + Beta == 0)
            throw new InvalidInputException($"Rocchio's weights must be finite, at least 0 and not both 0; got alpha {Alpha}, beta {Beta}.");
    }
}

/// <summary>The relevance model of RM3 (<see cref="Rm3Options"/>), from analysed terms: the arithmetic, apart from the index.</summary>
internal static class Rm3
{
    /// <summary>
    /// The expanded query's terms and weights. Each feedback document's vector is its term counts, terms filtered by
    /// <paramref name="isFeedbackTerm"/>, cut to its <see cref="Rm3Options.FeedbackTerms"/> most frequent; the relevance model
    /// is P(t|R) ∝ Σ_d w_d · tf(t, d) / |d| (|d| the sum of the kept counts), cut to the <see cref="Rm3Options.FeedbackTerms"/>
    /// heaviest and L1-normalised; the original query's counts, L1-normalised, are mixed in: λ q + (1 - λ) P(·|R).
    /// Ties in the cuts go to the term that sorts first (ordinal), so the result is deterministic.
    /// </summary>
    /// <param name="query">The query's analysed terms with their counts.</param>
    /// <param name="documents">Each feedback document's analysed terms with counts, and its weight w_d (its first-stage score, &gt;= 0).</param>
    /// <param name="isFeedbackTerm">Whether a document term may be a feedback term.</param>
    /// <param name="options">The settings.</param>
    /// <returns>Terms and weights (summing to 1 when there is any term), heaviest first.</returns>
    public static List<KeyValuePair<string, double>> Expand(IReadOnlyList<KeyValuePair<string, int>> query,
        IReadOnlyList<(IReadOnlyList<KeyValuePair<string, int>> Terms, double Weight)> documents, Func<string, bool> isFeedbackTerm, Rm3Options options)
    {
        var model = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (terms, weight) in documents)
        {
            var kept = Heaviest(terms.Where(t => isFeedbackTerm(t.Key)).Select(t => new KeyValuePair<string, double>(t.Key, t.Value)), options.FeedbackTerms);
            var length = kept.Sum(t => t.Value);
            if (length <= 0) continue;
            foreach (var (term, count) in kept) model[term] = model.GetValueOrDefault(term) + weight * count / length;
        }
        var feedback = Normalized(Heaviest(model, options.FeedbackTerms));
        var original = Normalized(query.Select(t => new KeyValuePair<string, double>(t.Key, t.Value)).ToList());
        var mixed = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (term, p) in original) mixed[term] = options.OriginalQueryWeight * p;
        foreach (var (term, p) in feedback) mixed[term] = mixed.GetValueOrDefault(term) + (1 - options.OriginalQueryWeight) * p;
        return Heaviest(mixed.Where(t => t.Value > 0), int.MaxValue);
    }

    private static List<KeyValuePair<string, double>> Heaviest(IEnumerable<KeyValuePair<string, double>> terms, int n) =>
        terms.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal).Take(n).ToList();

    private static List<KeyValuePair<string, double>> Normalized(List<KeyValuePair<string, double>> terms)
    {
        var sum = terms.Sum(t => t.Value);
        return sum <= 0 ? [] : terms.Select(t => new KeyValuePair<string, double>(t.Key, t.Value / sum)).ToList();
    }

    /// <summary>Anserini's shape rule for feedback terms: 2 to 20 characters of a-z and 0-9 (stemmed terms, lower case).</summary>
    public static bool HasFeedbackShape(string term) =>
        term.Length is >= 2 and <= 20 && term.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9');
}
