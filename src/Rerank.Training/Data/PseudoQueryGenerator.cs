using System.Text.RegularExpressions;

namespace Rerank.Training.Data;

/// <summary>
/// Builds (query, positive) pairs from the indexed corpus alone, for domains without judgments.
/// A document with a title gives the query <c>title</c> and the positive <c>text</c> (without the
/// title, which would make the pair trivially matchable). A document without a title gives an
/// inverse-cloze pair (Lee et al., 2019): one sentence, chosen with a seeded per-document stream,
/// becomes the query and is removed from the positive, so the model must match on context rather
/// than on copied words. The positive keeps the source document's id, so mining never picks the
/// source document as a negative. Negatives then come from <c>Mining/</c>.
/// </summary>
internal static partial class PseudoQueryGenerator
{
    /// <summary>Pseudo-query groups (negatives empty) in index order, query ids <c>pseudo:{docId}</c>, and the counts.</summary>
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
            if (WordCount(doc.Text) < options.MinDocumentWords)
            {
                tooShort++;
                continue;
            }
            if (options.UseTitles && !string.IsNullOrWhiteSpace(doc.Title))
            {
                groups.Add(new TrainingGroup($"pseudo:{id}", doc.Title.Trim(), [new TrainingDocument(id, doc.Text.Trim())], []));
                titles++;
                continue;
            }
            var pair = InverseCloze(doc.Text, options, SeededRandom.For(options.Seed, "pseudo-query", id));
            if (pair is null)
            {
                noSpan++;
                continue;
            }
            groups.Add(new TrainingGroup($"pseudo:{id}", pair.Value.Query, [new TrainingDocument(id, pair.Value.Positive)], []));
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
