using Rerank.Lucene.Retrieval;

namespace Rerank.Training.Data;

/// <summary>What <see cref="SelfSupervisedDev.Build"/> kept and dropped.</summary>
/// <param name="HeldOut">Held-out documents considered.</param>
/// <param name="NoSentence">Documents without a usable sentence (too short, or one sentence).</param>
/// <param name="AtTop">Sentences whose source document the first stage already ranks first.</param>
/// <param name="NotRetrieved">Sentences whose source document is not among the first stage's candidates.</param>
/// <param name="Kept">Dev queries kept.</param>
internal sealed record SelfSupervisedDevReport(int HeldOut, int NoSentence, int AtTop, int NotRetrieved, int Kept);

/// <summary>
/// A dev set for <c>--self-supervised</c> that can measure progress. Title pseudo-queries find their own
/// document at rank 1 almost always (on SciFact BM25 scored dev nDCG@10 1.0000 on them), so a dev set of
/// titles can only show losses. Here each held-out document gives one inverse-cloze sentence (Lee et al.,
/// 2019: a sentence of the document as the query, the document as its one relevant answer), and only
/// sentences whose document the first stage retrieves among its candidates but not at rank 1 are kept:
/// queries the first stage alone does not solve, where a reranker can still help.
/// </summary>
/// <remarks>
/// The selection is against the first stage, so such a dev set overrates the cross-encoder relative to
/// the first stage; <c>rerank-train</c> therefore judges only the model on it (the starting model's stored
/// score mode and weight are kept) and never tunes interpolation weights on it.
/// </remarks>
internal static class SelfSupervisedDev
{
    /// <summary>The dev groups (query ids <c>ict:{docId}</c>) and the counts.</summary>
    /// <param name="heldOut">Documents held out of training (by their pseudo-query groups' positives).</param>
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
            if (rank is null) notRetrieved++;
            else if (rank == 1) atTop++;
            else dev.Add(new TrainingGroup($"ict:{id}", pair.Value.Query, [TrainingDocument.FromIndex(doc)], []));
        }
        return (dev, new SelfSupervisedDevReport(heldOut.Count, noSentence, atTop, notRetrieved, dev.Count));
    }
}
