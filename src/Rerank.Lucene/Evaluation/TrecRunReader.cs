using System.Globalization;

namespace Rerank.Lucene.Evaluation;

/// <summary>
/// Reads a TREC run file (<c>qid Q0 docid rank score tag</c>, columns separated by tabs or
/// spaces, blank lines skipped) into query id → document ids in rank order. As in
/// <see cref="TrecRunWriter"/> and trec_eval, each query's documents are ordered by score, highest
/// first, then document id descending (<see cref="RankingOrder"/>); the rank, Q0 and tag columns are
/// not interpreted (trec_eval ignores them too).
/// </summary>
public static class TrecRunReader
{
    private const string FileKind = "Run file";
    private const string Expected = "a TREC run file with lines 'qid Q0 docid rank score tag'";

    /// <summary>Reads a run file.</summary>
    /// <param name="path">The run file.</param>
    /// <returns>Query id → ranked document ids, best first; queries in order of first appearance.</returns>
    /// <exception cref="InvalidInputException">The file is missing or unreadable, a line does not
    /// have 6 columns, a score is not a finite number, a document appears twice for one query, or
    /// the file has no result. The message names the file, the line and its text.</exception>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Read(string path)
    {
        var order = new List<string>();
        var byQuery = new Dictionary<string, List<(string DocId, double Score)>>(StringComparer.Ordinal);
        var lineOf = new Dictionary<(string Query, string Doc), int>();
        foreach (var line in Utf8LineReader.ReadLines(path, FileKind, Expected))
        {
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            var columns = Utf8LineReader.Columns(line.Text);
            if (columns.Length != 6)
            {
                throw new InvalidInputException(
                    $"{FileKind} '{path}', line {line.Number}: expected 6 columns (qid Q0 docid rank score tag), " +
                    $"found {columns.Length}: '{Utf8LineReader.Excerpt(line.Text)}'. Write one result per line, " +
                    "columns separated by spaces or tabs, ids and tag without spaces.",
                    path, line.Number);
            }
            var (queryId, docId, scoreText) = (columns[0], columns[2], columns[4]);
            if (!double.TryParse(scoreText, NumberStyles.Float, CultureInfo.InvariantCulture, out var score)
                || !double.IsFinite(score))
            {
                throw new InvalidInputException(
                    $"{FileKind} '{path}', line {line.Number}: expected a number in column 5 (score), found " +
                    $"'{scoreText}': '{Utf8LineReader.Excerpt(line.Text)}'. Write the score as a decimal number " +
                    "with a dot, such as 12.345678.",
                    path, line.Number);
            }
            if (!lineOf.TryAdd((queryId, docId), line.Number))
            {
                var first = lineOf[(queryId, docId)];
                throw new InvalidInputException(
                    $"{FileKind} '{path}', line {line.Number}: expected each document once per query, found document " +
                    $"\"{docId}\" for query \"{queryId}\" again (first on line {first}). Keep one of lines {first} and {line.Number}.",
                    path, line.Number);
            }
            if (!byQuery.TryGetValue(queryId, out var hits))
            {
                hits = [];
                byQuery.Add(queryId, hits);
                order.Add(queryId);
            }
            hits.Add((docId, score));
        }
        if (order.Count == 0)
        {
            throw new InvalidInputException($"{FileKind} '{path}' has no results; expected {Expected}.", path);
        }

        var run = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var queryId in order)
        {
            var hits = byQuery[queryId];
            hits.Sort(static (x, y) => RankingOrder.Compare(x.Score, x.DocId, y.Score, y.DocId));
            run.Add(queryId, hits.Select(h => h.DocId).ToArray());
        }
        return run;
    }
}
