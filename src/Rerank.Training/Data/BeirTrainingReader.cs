using Rerank.Lucene;
using Rerank.Lucene.Evaluation;

namespace Rerank.Training.Data;

/// <summary>
/// Turns BEIR training judgments into training groups: <c>queries.jsonl</c> and a qrels file are
/// parsed by the library's <see cref="QueryFileReader"/> and <see cref="QrelsReader"/> (the same
/// format rules as evaluation), then every query with at least one judgment of score &gt; 0 becomes
/// a <see cref="TrainingGroup"/> whose positives are those documents, looked up in the index
/// (<see cref="TrainingDocument.FromIndex"/>). Negatives are left empty for the miner. Queries
/// whose judgments are all 0 are left out.
/// </summary>
internal static class BeirTrainingReader
{
    /// <summary>The judged queries of <paramref name="qrelsPath"/>, in order of first appearance there; positives in file order.</summary>
    /// <param name="queriesPath">BEIR <c>queries.jsonl</c>.</param>
    /// <param name="qrelsPath">The qrels of the split to train on, e.g. <c>qrels/train.tsv</c>.</param>
    /// <param name="store">The index documents; every relevant document must be one of them.</param>
    /// <param name="skippedMissing">When given, relevant documents the index lacks (e.g. empty documents left
    /// out by <c>--skip-empty</c>) are skipped and their ids added here, instead of failing; a query left with
    /// no positive is dropped. Null (default): such a judgment is an error.</param>
    /// <exception cref="InvalidInputException">Either file is malformed (see the readers); a judged query is not in
    /// the queries file; a relevant document is not in the index; or no judgment has score &gt; 0.</exception>
    public static IReadOnlyList<TrainingGroup> Read(string queriesPath, string qrelsPath, IDocumentStore store, ICollection<string>? skippedMissing = null)
    {
        var queries = QueryFileReader.Read(queriesPath).ToDictionary(q => q.Id, q => q.Text, StringComparer.Ordinal);
        var qrels = QrelsReader.Read(qrelsPath);
        var groups = new List<TrainingGroup>();
        foreach (var queryId in qrels.QueryIds)
        {
            var relevant = qrels.Judgments(queryId).Where(j => j.Value > 0).Select(j => j.Key).ToArray();
            if (relevant.Length == 0) continue;
            if (!queries.TryGetValue(queryId, out var text))
            {
                var line = FindLine(qrelsPath, queryId, relevant[0]);
                throw new InvalidInputException(
                    $"'{qrelsPath}' line {line}: query id '{queryId}' is not in '{queriesPath}'; check that both files come from the same dataset.",
                    qrelsPath, line);
            }
            var positives = new List<TrainingDocument>(relevant.Length);
            foreach (var docId in relevant)
            {
                var doc = store.Find(docId);
                if (doc is null && skippedMissing is not null)
                {
                    skippedMissing.Add(docId);
                    continue;
                }
                if (doc is null)
                {
                    var line = FindLine(qrelsPath, queryId, docId);
                    throw new InvalidInputException(
                        $"'{qrelsPath}' line {line}: corpus id '{docId}' is not a document of the index; build the index from the corpus these judgments belong to, or pass --skip-missing-documents if the index left it out on purpose (e.g. --skip-empty).",
                        qrelsPath, line);
                }
                positives.Add(TrainingDocument.FromIndex(doc));
            }
            if (positives.Count == 0) continue; // every positive was skipped as missing
            groups.Add(new TrainingGroup(queryId, text, positives, []));
        }
        if (groups.Count == 0)
            throw new InvalidInputException(
                $"'{qrelsPath}' has no judgment with score > 0; training needs relevant documents (score 1 or more).", qrelsPath);
        return groups;
    }

    /// <summary>
    /// The 1-based line of the judgment (query, document), found again only to word an error
    /// (<see cref="Qrels"/> keeps no line numbers). Columns: the first is the query id, the
    /// second-to-last the document id, in both the BEIR and the TREC layout.
    /// </summary>
    private static int? FindLine(string path, string queryId, string docId)
    {
        foreach (var (number, text) in Utf8LineReader.ReadLines(path, "Qrels file", "a BEIR or TREC qrels file"))
        {
            var cols = Utf8LineReader.Columns(text);
            if (cols.Length >= 3 && cols[0] == queryId && cols[^2] == docId) return number;
        }
        return null;
    }
}
