using System.Text.RegularExpressions;
using Rerank.Lucene.Reranking;

namespace Rerank.Training.Data;

/// <summary>
/// Builds (query, positive) pairs from the indexed corpus alone, for domains without judgments. By default
/// (<see cref="PseudoQuerySource.Sentences"/>) every document gives an inverse-cloze pair (Lee et al., 2019):
/// one sentence, chosen with a seeded per-document stream, becomes the query and is removed from the positive
/// (the title, when there is one, followed by the remaining sentences), so the model must match on context
/// rather than on copied words. With <see cref="PseudoQuerySource.Titles"/> a titled document gives the query
/// <c>title</c> and the positive <c>text</c> (without the title, which would make the pair trivially
/// matchable) instead; <see cref="PseudoQuerySource.Both"/> gives both. The positive keeps the source document's
/// id, so mining never picks the source document as a negative. Negatives then come from <c>Mining/</c>.
/// </summary>
/// <remarks>
/// Pseudo-queries whose source the first stage ranks first are kept: for a sentence that rank is measured
/// against the unmasked indexed document (which still holds the sentence), so it says nothing about how hard
/// the masked positive is for the cross-encoder.
/// </remarks>
internal static partial class PseudoQueryGenerator
{
    /// <summary>
    /// Pseudo-query groups (negatives empty) in index order, query ids <c>pseudo:{docId}</c> for sentences and
    /// <c>pseudo-title:{docId}</c> for titles, and the counts.
    /// </summary>
    public static (IReadOnlyList<TrainingGroup> Groups, PseudoQueryReport Report) Generate(IDocumentStore store, PseudoQueryOptions options, CancellationToken ct = default)
    {
        var groups = new List<TrainingGroup>();
        int titles = 0, spans = 0, tooShort = 0, noSpan = 0;
        var documents = 0;
        foreach (var doc in store.Documents())
        {
            ct.ThrowIfCancellationRequested();
            documents++;
            var id = doc.Id;
            // A title query needs only the title and a non-empty text; the word minimum is for inverse cloze, whose positive loses a sentence.
            var titled = !string.IsNullOrWhiteSpace(doc.Title) && !string.IsNullOrWhiteSpace(doc.Text);
            if (titled && options.Source is PseudoQuerySource.Titles or PseudoQuerySource.Both)
            {
                groups.Add(new TrainingGroup($"pseudo-title:{id}", doc.Title.Trim(), [new TrainingDocument(id, doc.Text.Trim())], []));
                titles++;
                if (options.Source == PseudoQuerySource.Titles) continue;
            }
            if (WordCount(doc.Text) < options.MinDocumentWords)
            {
                tooShort++;
                continue;
            }
            var pair = InverseCloze(doc.Text, options, SeededRandom.For(options.Seed, "pseudo-query", id));
            if (pair is null)
            {
                noSpan++;
                continue;
            }
            groups.Add(new TrainingGroup($"pseudo:{id}", pair.Value.Query, [new TrainingDocument(id, DocumentText.Join(doc.Title, pair.Value.Positive))], []));
            spans++;
        }

        IReadOnlyList<TrainingGroup> kept = groups;
        if (options.MaxQueries is int max && max < groups.Count)
        {
            var rng = SeededRandom.For(options.Seed, "pseudo-sample", "");
            kept = rng.SampleIndices(groups.Count, max).Order().Select(i => groups[i]).ToArray();
        }
        return (kept, new PseudoQueryReport(documents, titles, spans, tooShort, noSpan, kept.Count));
    }

    /// <summary>
    /// Splits <paramref name="text"/> into sentences (after '.', '!' or '?' followed by white space),
    /// picks one with MinQueryWords..MaxQueryWords words uniformly, and returns it with the other
    /// sentences joined by single spaces; null when the text has fewer than two sentences or no eligible one.
    /// </summary>
    public static (string Query, string Positive)? InverseCloze(string text, PseudoQueryOptions options, SeededRandom rng)
    {
        var sentences = SentenceBoundary().Split(text.Trim()).Where(s => s.Length > 0).ToArray();
        if (sentences.Length < 2) return null;
        var eligible = Enumerable.Range(0, sentences.Length)
            .Where(i => WordCount(sentences[i]) is var n && n >= options.MinQueryWords && n <= options.MaxQueryWords)
            .ToArray();
        if (eligible.Length == 0) return null;
        var pick = eligible[rng.NextInt(eligible.Length)];
        return (sentences[pick], string.Join(" ", sentences.Where((_, i) => i != pick)));
    }

    private static int WordCount(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceBoundary();
}
