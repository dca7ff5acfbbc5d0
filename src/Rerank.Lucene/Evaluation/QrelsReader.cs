using System.Globalization;

namespace Rerank.Lucene.Evaluation;

/// <summary>
/// Reads relevance judgments in either of the two common layouts, detected from the first line:
/// BEIR TSV, <c>query-id corpus-id score</c> (3 columns, with an optional header line
/// <c>query-id	corpus-id	score</c>), or TREC qrels, <c>qid iter docid rel</c> (4 columns;
/// <c>iter</c> is ignored, as trec_eval ignores it). Columns are separated by tabs or spaces;
/// blank lines are skipped. One file uses one layout throughout. A first line whose last column is
/// not a number but is not the BEIR header (e.g. <c>qid cid score</c>) is reported as a header that
/// is not recognised, never skipped: it could as well be a judgment with a typo. Ids may not contain
/// control characters.
/// </summary>
/// <example>
/// <code>
/// var qrels = QrelsReader.Read("datasets/scifact/qrels/test.tsv");
/// Console.WriteLine($"{qrels.QueryIds.Count} judged queries");
/// </code>
/// </example>
public static class QrelsReader
{
    private const string FileKind = "Qrels file";
    private const string Expected =
        "BEIR TSV lines 'query-id<TAB>corpus-id<TAB>score' or TREC lines 'qid iter docid rel'";

    /// <summary>Reads all judgments.</summary>
    /// <param name="path">The qrels file.</param>
    /// <returns>The judgments; query ids in order of first appearance.</returns>
    /// <exception cref="InvalidInputException">The file is missing or unreadable, a line has
    /// the wrong number of columns, a relevance is not an integer, a (query, document) pair is
    /// judged twice, or the file has no judgment. The message names the file, the line and its text.</exception>
    public static Qrels Read(string path)
    {
        var order = new List<string>();
        var byQuery = new Dictionary<string, Dictionary<string, (int Relevance, int Line)>>(StringComparer.Ordinal);
        int? columnCount = null;
        var layoutLine = 0;
        var firstContentLine = true;
        var tabsOnly = false;
        foreach (var line in Utf8LineReader.ReadLines(path, FileKind, Expected))
        {
            if (string.IsNullOrWhiteSpace(line.Text)) continue;
            // After BEIR's header the file is TSV: columns are split at tabs only, so an id holding a space is
            // seen (and refused by the id rule) instead of shifting the columns into a TREC-looking line.
            var columns = tabsOnly ? line.Text.TrimEnd('\r').Split('\t') : Utf8LineReader.Columns(line.Text);
            var isFirst = firstContentLine;
            firstContentLine = false;
            if (isFirst && IsBeirHeader(columns))
            {
                tabsOnly = line.Text.Contains('\t');
                continue;
            }
            if (isFirst && columns.Length is 3 or 4 && !double.TryParse(columns[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                // Another header ("qid cid score", "query_id doc_id relevance") is refused rather than guessed at: a first
                // judgment with a typo in its relevance must not be dropped silently as if it were a header.
                throw new InvalidInputException(
                    $"{FileKind} '{path}', line {line.Number}: '{Utf8LineReader.Excerpt(line.Text)}' looks like a header, but the only header " +
                    "recognised is BEIR's 'query-id<TAB>corpus-id<TAB>score'. Replace that line with it, or delete the line " +
                    "(TREC qrels have no header).",
                    path, line.Number);
            }

            if (columnCount is null)
            {
                if (columns.Length is not (3 or 4))
                {
                    throw new InvalidInputException(
                        $"{FileKind} '{path}', line {line.Number}: expected 3 columns (query-id corpus-id score) " +
                        $"or 4 columns (qid iter docid rel), found {columns.Length}: '{Utf8LineReader.Excerpt(line.Text)}'. " +
                        (tabsOnly
                            ? "After the BEIR header 'query-id<TAB>corpus-id<TAB>score' columns are separated by tabs: write one judgment per line, ids without spaces."
                            : "Write one judgment per line, columns separated by tabs or spaces, ids without spaces."),
                        path, line.Number);
                }
                columnCount = columns.Length;
                layoutLine = line.Number;
            }
            else if (columns.Length != columnCount)
            {
                throw new InvalidInputException(
                    $"{FileKind} '{path}', line {line.Number}: expected {columnCount} columns " +
                    $"({Layout(columnCount.Value)}, the layout of line {layoutLine}), found {columns.Length}: " +
                    $"'{Utf8LineReader.Excerpt(line.Text)}'. Use one layout for the whole file, ids without spaces.",
                    path, line.Number);
            }

            var queryId = columns[0];
            var docId = columns[columnCount.Value - 2];
            foreach (var (what, id) in new[] { ("query id", queryId), ("document id", docId) })
            {
                if (IdRules.Problem(id) is { } problem)
                {
                    throw new InvalidInputException(
                        $"{FileKind} '{path}', line {line.Number}: the {what} {IdRules.Quote(id)} {problem}, so it cannot match an id of a run file " +
                        $"or an index. Fix the id on that line.",
                        path, line.Number);
                }
            }
            var scoreText = columns[columnCount.Value - 1];
            if (!int.TryParse(scoreText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var relevance))
            {
                throw new InvalidInputException(
                    $"{FileKind} '{path}', line {line.Number}: expected an integer relevance in column {columnCount}, " +
                    $"found '{scoreText}': '{Utf8LineReader.Excerpt(line.Text)}'. Write the relevance as a whole number " +
                    "(0 = not relevant, 1 or more = relevant).",
                    path, line.Number);
            }

            if (!byQuery.TryGetValue(queryId, out var docs))
            {
                docs = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
                byQuery.Add(queryId, docs);
                order.Add(queryId);
            }
            if (docs.TryGetValue(docId, out var earlier))
            {
                throw new InvalidInputException(
                    $"{FileKind} '{path}', line {line.Number}: expected one judgment per (query, document), found " +
                    $"query \"{queryId}\" and document \"{docId}\" judged again (first on line {earlier.Line}). " +
                    $"Keep one of lines {earlier.Line} and {line.Number}.",
                    path, line.Number);
            }
            docs.Add(docId, (relevance, line.Number));
        }
        if (order.Count == 0)
        {
            throw new InvalidInputException($"{FileKind} '{path}' has no judgments; expected {Expected}.", path);
        }
        return new Qrels(order.Select(q => KeyValuePair.Create(
            q, (IReadOnlyDictionary<string, int>)byQuery[q].ToDictionary(d => d.Key, d => d.Value.Relevance, StringComparer.Ordinal))));
    }

    private static bool IsBeirHeader(string[] columns) =>
        columns.Length == 3
        && string.Equals(columns[0], "query-id", StringComparison.OrdinalIgnoreCase)
        && string.Equals(columns[1], "corpus-id", StringComparison.OrdinalIgnoreCase)
        && string.Equals(columns[2], "score", StringComparison.OrdinalIgnoreCase);

    private static string Layout(int columns) => columns == 3 ? "query-id corpus-id score" : "qid iter docid rel";
}
