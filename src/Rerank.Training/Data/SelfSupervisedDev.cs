using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;

namespace Rerank.Training.Data;

/// <summary>What <see cref="SelfSupervisedDev.Build"/> kept and dropped.</summary>
/// <param name="HeldOut">Held-out documents considered.</param>
/// <param name="NoSentence">Documents without a usable sentence (too short, or one sentence).</param>
/// <param name="NotRetrieved">Sentences whose source document is not among the first stage's candidates (dropped).</param>
/// <param name="AtTop">
/// Kept sentences whose source document the first stage ranks first. That rank is inflated (the indexed document
/// still holds the sentence), so they are kept: the cross-encoder sees the source with the sentence removed.
/// </param>
/// <param name="Kept">Dev queries kept.</param>
internal sealed record SelfSupervisedDevReport(int HeldOut, int NoSentence, int NotRetrieved, int AtTop, int Kept);

/// <summary>
/// A dev set for <c>--self-supervised</c> that can measure progress. Each held-out document gives one
/// inverse-cloze sentence (Lee et al., 2019) as the query, and the document is its one relevant answer, shown
/// to the cross-encoder with that sentence removed (its title, when it has one, and the other sentences), so it
/// can only be matched by context, never by the copied words; the other candidates are the first stage's top
/// documents for the sentence, as stored. A sentence is kept whenever the first stage retrieves its source
/// among those candidates (on SciFact nearly every held-out document), wherever it ranks it.
/// </summary>
/// <remarks>
/// The first stage searches the index, where the source still holds the sentence, so its own ranking (and any
/// interpolation with its scores) is inflated on this dev set. <c>rerank-train</c> therefore judges only the
/// cross-encoder alone over the candidates (score mode replace), starting model against fine-tuned model, and
/// never tunes or judges a weight on it. Build the <see cref="Cli.DevEvaluator"/> with masked positives
/// (<c>positiveTexts: true</c>) so the masked source text is the one scored.
/// </remarks>
internal static class SelfSupervisedDev
{
    /// <summary>The dev groups (query ids <c>ict:{docId}</c>, the positive's text masked) and the counts.</summary>
    /// <param name="heldOut">Documents held out of training.</param>
    /// <param name="store">The index's documents.</param>
    /// <param name="firstStage">The first stage the model will rerank.</param>
    /// <param name="candidates">How deep the first stage is searched (the reranking depth).</param>
    /// <param name="options">Sentence rules and the seed.</param>
    /// <param name="ct">Cancels between queries.</param>
    public static (IReadOnlyList<TrainingGroup> Dev, SelfSupervisedDevReport Report) Build(IReadOnlyList<string> heldOut, IDocumentStore store,
        ICandidateRetriever firstStage, int candidates, PseudoQueryOptions options, CancellationToken ct = default)
    {
        var dev = new List<TrainingGroup>();
        int noSentence = 0, atTop = 0, notRetrieved = 0;
        foreach (var id in heldOut)
        {
            ct.ThrowIfCancellationRequested();
            var doc = store.Find(id);
            var pair = doc is null ? null : PseudoQueryGenerator.InverseCloze(doc.Text, options, SeededRandom.For(options.Seed, "dev-sentence", id));
            if (doc is null || pair is null)
            {
                noSentence++;
                continue;
            }
            var rank = firstStage.Rank(pair.Value.Query, candidates).FirstOrDefault(h => h.DocId == id)?.Rank;
            if (rank is null)
            {
                notRetrieved++;
                continue;
            }
            if (rank == 1) atTop++;
            dev.Add(new TrainingGroup($"ict:{id}", pair.Value.Query, [new TrainingDocument(id, DocumentText.Join(doc.Title, pair.Value.Positive))], []));
        }
        return (dev, new SelfSupervisedDevReport(heldOut.Count, noSentence, notRetrieved, atTop, dev.Count));
    }
}
