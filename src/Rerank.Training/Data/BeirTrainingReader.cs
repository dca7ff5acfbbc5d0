using System.Globalization;
using Rerank.Lucene;

namespace Rerank.Training.Data;

/// <summary>
/// Reads BEIR training judgments: <c>queries.jsonl</c> (<c>{"_id","text"}</c>) and a qrels TSV
/// (<c>query-id corpus-id score</c>, or TREC's <c>query-id 0 corpus-id score</c>; a header line
/// is optional). Every query with at least one judgment of score &gt; 0 becomes a
/// <see cref="TrainingGroup"/> whose positives are those documents, looked up in the index; its
/// negatives are left empty for the miner. Queries without a positive judgment are left out.
/// </summary>
internal static class BeirTrainingReader
{
    /// <summary>The judged queries of <paramref name="qrelsPath"/>, in order of first appearance there.</summary>
    /// <param name="queriesPath">BEIR <c>queries.jsonl</c>.</param>
    /// <param name="qrelsPath">The qrels of the split to train on, e.g. <c>qrels/train.tsv</c>.</param>
    /// <param name="store">The index documents; every positive must be one of them.</param>
    public static IReadOnlyList<TrainingGroup> Read(string queriesPath, string qrelsPath, IDocumentStore store)
    {
        var queries = ReadQueries(queriesPath);
        var positives = new Dictionary<string, List<TrainingDocument>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var (line, queryId, docId, score) in ReadQrels(qrelsPath))
        {
            if (score <= 0) continue;
            if (!queries.ContainsKey(queryId))
                throw new InvalidInputException(
                    $"'{qrelsPath}' line {line}: query id '{queryId}' is not in '{queriesPath}'; check that both files come from the same dataset.",
                    qrelsPath, line);
            var doc = store.Find(docId)
                ?? throw new InvalidInputException(
                    $"'{qrelsPath}' line {line}: corpus id '{docId}' is not a document of the index; build the index from the corpus these judgments belong to.",
                    qrelsPath, line);
            if (!positives.TryGetValue(queryId, out var list))
            {
                positives[queryId] = list = [];
                order.Add(queryId);
            }
            if (list.All(p => p.DocId != docId)) list.Add(doc.ToTrainingDocument());
        }
        if (order.Count == 0)
            throw new InvalidInputException(
                $"'{qrelsPath}' has no judgment with score > 0; expected lines `query-id corpus-id score` with relevant documents scored 1 or more.",
                qrelsPath);
        return order.Select(q => new TrainingGroup(q, queries[q], positives[q], [])).ToArray();
    }

    /// <summary>Query id to query text, from BEIR <c>queries.jsonl</c>.</summary>
    public static Dictionary<string, string> ReadQueries(string path)
    {
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, row) in JsonlFile.ReadObjects(path))
        {
            var id = JsonlFile.OptionalId(row, "_id", path, line)
                ?? throw new InvalidInputException($"'{path}' line {line}: missing field \"_id\"; expected the query id.", path, line);
            var text = JsonlFile.RequiredText(row, "text", path, line, "the query text");
            if (!queries.TryAdd(id, text))
                throw new InvalidInputException(
                    $"'{path}' line {line}: query id '{id}' appears again (first on line {firstLine[id]}); query ids must be unique.", path, line);
            firstLine[id] = line;
        }
        return queries;
    }

    /// <summary>The rows of a qrels file with their line numbers; a first line whose score is not an integer is a header.</summary>
    public static IEnumerable<(int Line, string QueryId, string DocId, int Score)> ReadQrels(string path)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"'{path}' does not exist; expected a qrels file (`query-id corpus-id score`). Check the path.", path);
        const string Expected = "`query-id corpus-id score` (BEIR) or `query-id 0 corpus-id score` (TREC)";
        var lineNo = 0;
        foreach (var text in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var cols = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length is not (3 or 4))
                throw new InvalidInputException(
                    $"'{path}' line {lineNo}: expected 3 or 4 columns, {Expected}, found {cols.Length}.", path, lineNo);
            if (!int.TryParse(cols[^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var score))
            {
                if (lineNo == 1) continue; // header, e.g. "query-id corpus-id score"
                throw new InvalidInputException(
                    $"'{path}' line {lineNo}: score '{cols[^1]}' is not an integer; expected {Expected}.", path, lineNo);
            }
            yield return (lineNo, cols[0], cols[^2], score);
        }
    }
}
