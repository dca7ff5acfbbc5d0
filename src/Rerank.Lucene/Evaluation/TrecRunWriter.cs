using System.Globalization;

namespace Rerank.Lucene.Evaluation;

/// <summary>
/// Writes TREC run files, one line per retrieved document: <c>qid Q0 docid rank score tag</c>,
/// separated by single spaces, LF line ends, scores in invariant culture with a fixed number of
/// decimals (default 6). trec_eval and Pyserini read these files.
/// <para>
/// Within a query, documents are ordered by their score AS PRINTED, highest first, and ties by
/// document id descending (<see cref="RankingOrder"/>, trec_eval's own rule). The rank column and the
/// order of lines therefore never depend on the order in which tied documents arrived or on noise
/// below the printed precision, and both <see cref="TrecRunReader"/> and trec_eval (which ignores the
/// rank column and sorts by score, ties by document id descending) read back exactly the order written.
/// </para>
/// </summary>
/// <example>
/// <code>
/// using var output = new StreamWriter("bm25.run");
/// var writer = new TrecRunWriter(output, tag: "bm25");
/// writer.WriteQuery("q1", [new ScoredDocument("d7", 12.5), new ScoredDocument("d3", 11.25)]);
/// // q1 Q0 d7 1 12.500000 bm25
/// // q1 Q0 d3 2 11.250000 bm25
/// </code>
/// </example>
public sealed class TrecRunWriter
{
    /// <summary>The default number of decimals printed for a score: 6, as Anserini and Pyserini print.</summary>
    public const int DefaultDecimals = 6;

    private readonly TextWriter _output;
    private readonly string _tag;
    private readonly string _format;

    /// <summary>Creates a writer over <paramref name="output"/>, which it does not own or dispose.</summary>
    /// <param name="output">Where lines go.</param>
    /// <param name="tag">The run tag written in the last column; non-empty, without whitespace.</param>
    /// <param name="decimals">Decimals printed per score, 0 to 15; default <see cref="DefaultDecimals"/>.</param>
    public TrecRunWriter(TextWriter output, string tag, int decimals = DefaultDecimals)
    {
        ArgumentNullException.ThrowIfNull(output);
        RequireToken(tag, nameof(tag), "run tag");
        ArgumentOutOfRangeException.ThrowIfNegative(decimals);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(decimals, 15);
        _output = output;
        _tag = tag;
        _format = "F" + decimals.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Writes the results of one query, ranked as described on the class.</summary>
    /// <param name="queryId">The query id; non-empty, without whitespace or control characters.</param>
    /// <param name="hits">The retrieved documents in any order; each document once, finite scores.</param>
    /// <returns>The document ids in the order written (rank 1 first): the ranking an evaluation of
    /// this file sees, for <see cref="Evaluator"/>.</returns>
    public IReadOnlyList<string> WriteQuery(string queryId, IEnumerable<ScoredDocument> hits)
    {
        RequireToken(queryId, nameof(queryId), "query id");
        ArgumentNullException.ThrowIfNull(hits);
        var rows = new List<(string DocId, double Score, string Printed)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var hit in hits)
        {
            RequireToken(hit.DocId, nameof(hits), "document id");
            if (!double.IsFinite(hit.Score))
            {
                throw new ArgumentException($"Document \"{hit.DocId}\" of query \"{queryId}\" has score {hit.Score}; scores must be finite.", nameof(hits));
            }
            if (!seen.Add(hit.DocId))
            {
                throw new ArgumentException($"Document \"{hit.DocId}\" appears twice for query \"{queryId}\"; each document may appear once.", nameof(hits));
            }
            var (printed, value) = Round(hit.Score);
            rows.Add((hit.DocId, value, printed));
        }

        // Rank by the printed score, not the computed one. Worked example, 6 decimals:
        //   doc "a" scores 0.70000012 and prints "0.700000"
        //   doc "b" scores 0.70000004 and prints "0.700000"
        // By the computed scores a is rank 1 and b rank 2, yet the file shows a tie, and the
        // same model on another machine (another BLAS, GPU vs CPU) may compute a = 0.69999998
        // and swap them. By the printed scores they tie on every machine; the tie goes to the
        // larger id (trec_eval's rule), so b is rank 1 and a rank 2 everywhere, and reading the file
        // back (TrecRunReader, trec_eval: printed score descending, then id descending) gives that order.
        rows.Sort(static (x, y) => RankingOrder.Compare(x.Score, x.DocId, y.Score, y.DocId));

        var ranking = new string[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            ranking[i] = rows[i].DocId;
            _output.Write(string.Join(' ', queryId, "Q0", rows[i].DocId,
                (i + 1).ToString(CultureInfo.InvariantCulture), rows[i].Printed, _tag));
            _output.Write('\n');
        }
        return ranking;
    }

    /// <summary>The printed form of a score and the number it denotes, which is what ranks.</summary>
    private (string Printed, double Value) Round(double score) => Printed(score, _format);

    /// <summary>
    /// The value a score has once printed with <paramref name="decimals"/> decimals, which is what a run file ranks by;
    /// <see cref="Retrieval.Bm25Searcher"/> ranks and cuts its top k by the same value, so its order is the file's.
    /// </summary>
    internal static double PrintedValue(double score, int decimals = DefaultDecimals) =>
        Printed(score, "F" + decimals.ToString(CultureInfo.InvariantCulture)).Value;

    private static (string Printed, double Value) Printed(double score, string format)
    {
        var printed = score.ToString(format, CultureInfo.InvariantCulture);
        var value = double.Parse(printed, NumberStyles.Float, CultureInfo.InvariantCulture);
        // -0.0000001 prints as "-0.000000"; write the zero without a sign.
        if (value == 0)
        {
            value = 0.0;
            printed = 0.0.ToString(format, CultureInfo.InvariantCulture);
        }
        return (printed, value);
    }

    private static void RequireToken(string? value, string parameter, string what)
    {
        if (value is null || IdRules.Problem(value) is not null)
        {
            throw new ArgumentException(
                $"The {what} {(value is null ? "null" : IdRules.Quote(value))} cannot be written to a run file: it must be non-empty and without whitespace or control characters.",
                parameter);
        }
    }
}
