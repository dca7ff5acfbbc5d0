using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Rerank.Lucene;
using Rerank.Lucene.Evaluation;
using Spectre.Console;

namespace Search.Host.Cli;

/// <summary>
/// <c>search-host trec-eval</c>: evaluates existing TREC run files against qrels, as <c>trec_eval -c</c> does,
/// side by side, with a paired randomization test of each run against the first.
/// </summary>
internal static class TrecEvalCommand
{
    private static readonly Option<string> QrelsFile = new("--qrels")
    {
        Description = "Judgments: BEIR TSV (query-id corpus-id score, header optional) or TREC qrels (qid 0 docid rel).",
        Required = true,
    };

    private static readonly Argument<string[]> Runs = new("runs")
    {
        Description = "TREC run files (qid Q0 docid rank score tag). With two or more, each is compared with the first.",
        Arity = ArgumentArity.OneOrMore,
    };

    private static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON object: {\"queries\": N, \"runs\": {FILE: {metrics..., \"p_values\": {metric: p vs the first run}}}}.",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("trec-eval",
            "Evaluate TREC run files against judgments: nDCG@10, MRR@10, MAP, Recall@100, P@10, counted as `trec_eval -c` " +
            "(every judged query counts; one missing from a run, or without a relevant document, scores 0). Ties in a run are " +
            "ordered as trec_eval orders them (score, then document id descending). With several runs, a paired randomization " +
            "test (two-sided, exact up to 20 queries, else 100,000 seeded samples) gives each run's p-value against the first.\n\n" +
            "Example:\n  search-host trec-eval --qrels ../shared/datasets/scifact/qrels/test.tsv bm25.run reranked.run")
        {
            QrelsFile, Runs, Json,
        };
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, new Dictionary<Option, string>(), (_, _) => Task.FromResult(Run(parse)), ct));
        return command;
    }

    private static readonly (string Name, Func<MetricSet, double> Get)[] Metrics =
    [
        ("ndcg@10", m => m.Ndcg10), ("mrr@10", m => m.Mrr10), ("map", m => m.Map), ("recall@100", m => m.Recall100), ("p@10", m => m.P10),
    ];

    private static int Run(ParseResult parse)
    {
        var console = ConsoleOutput.For(parse);
        var qrels = QrelsReader.Read(parse.GetRequiredValue(QrelsFile));
        var files = parse.GetRequiredValue(Runs);
        if (files.Select(Path.GetFullPath).GroupBy(f => f).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidInputException($"'{twice.Key}' is given twice; pass each run file once.", twice.Key);
        // Column labels: the file names, or the paths as given when two runs share a name.
        var labels = files.Select(Path.GetFileName).Distinct().Count() == files.Length ? files.Select(f => Path.GetFileName(f)!).ToArray() : files;
        var results = files.Select(f => Evaluator.Evaluate(qrels, TrecRunReader.Read(f))).ToList();
        var baseline = results[0];
        // Each run against the first; the first has none (index 0 stays null).
        var pValues = results.Select((r, i) => i == 0 ? null : Metrics.ToDictionary(m => m.Name, m => RandomizationTest.PValue(
            r.QueryIds.Select(q => m.Get(r.PerQuery[q])).ToList(), baseline.QueryIds.Select(q => m.Get(baseline.PerQuery[q])).ToList()))).ToList();

        if (parse.GetValue(Json))
        {
            var runs = new Dictionary<string, object>();
            for (var i = 0; i < files.Length; i++)
            {
                var entry = Metrics.ToDictionary(m => m.Name, m => (object)m.Get(results[i].Mean));
                if (pValues[i] is { } p) entry["p_values"] = p;
                runs[files[i]] = entry;
            }
            console.Output.WriteLine(CliJson.Serialize(new Dictionary<string, object>
            {
                ["queries"] = baseline.QueryCount,
                ["queries_without_relevant"] = baseline.NoRelevantQueryIds.Count,
                ["runs"] = runs,
            }));
            return 0;
        }
        console.Output.WriteLine(EvalCommand.QueryCountLine(baseline, depth: null, missingMeans: null));
        for (var i = 0; i < files.Length; i++)
        {
            if (results[i].MissingQueryIds.Count > 0)
                console.Output.WriteLine($"{files[i]}: {results[i].MissingQueryIds.Count} judged queries have no results and score 0 (first: {results[i].MissingQueryIds[0]})");
        }
        var table = new Table().Border(TableBorder.Simple).AddColumn("metric");
        foreach (var label in labels) table.AddColumn(new TableColumn(Markup.Escape(label)).RightAligned());
        foreach (var (name, get) in Metrics)
        {
            var cells = new List<string> { name };
            for (var i = 0; i < files.Length; i++)
            {
                var value = get(results[i].Mean).ToString("0.0000", CultureInfo.InvariantCulture);
                cells.Add(pValues[i] is { } p ? $"{value} (p={p[name].ToString("0.000", CultureInfo.InvariantCulture)})" : value);
            }
            table.AddRow(cells.ToArray());
        }
        console.Out.Write(table);
        return 0;
    }
}
