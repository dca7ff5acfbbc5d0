using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rerank.Lucene;
using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Retrieval;
using Search.Host.Hosting;
using Spectre.Console;

namespace Search.Host.Cli;

/// <summary><c>search-host eval</c>: BM25 (and later reranked) effectiveness against judgments.</summary>
internal static class EvalCommand
{
    private static readonly Option<string> Queries = new("--queries", "-q")
    {
        Description = "BEIR queries.jsonl ({\"_id\",\"text\"}).",
        Required = true,
    };

    private static readonly Option<string> QrelsFile = new("--qrels")
    {
        Description = "Judgments: BEIR TSV (query-id corpus-id score, header optional) or TREC qrels (qid 0 docid rel). Only queries judged here are evaluated.",
        Required = true,
    };

    private static readonly Option<int> Depth = new("--top", "-k")
    {
        Description = "Documents retrieved and written per query. Default 1000 (as BEIR/Anserini runs; Recall@100 and MAP need depth).",
    };

    private static readonly Option<string> RunFile = new("--run")
    {
        Description = "Write the ranking as a TREC run file (qid Q0 docid rank score tag) that trec_eval and Pyserini read.",
    };

    private static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON object: {\"queries\": N, \"bm25\": {\"ndcg@10\": ..., \"mrr@10\": ..., \"map\": ..., \"recall@100\": ..., \"p@10\": ...}}.",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("eval", "Evaluate BM25 on queries with judgments: nDCG@10, MRR@10, MAP, Recall@100, P@10.\n\n" +
            "Example:\n  search-host eval --index .idx/scifact --queries ../shared/datasets/scifact/queries.jsonl --qrels ../shared/datasets/scifact/qrels/test.tsv --run bm25.run")
        {
            CommonOptions.Index, Queries, QrelsFile, Depth, RunFile, Json,
        };
        var bound = new Dictionary<Option, string>
        {
            [CommonOptions.Index] = $"{SearchHostOptions.Section}:Index",
            [Depth] = $"{SearchHostOptions.Section}:EvalDepth",
        };
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, bound, (services, token) =>
            Task.FromResult(Run(parse, services, token)), ct));
        return command;
    }

    private static int Run(ParseResult parse, IServiceProvider services, CancellationToken ct)
    {
        var options = services.Options<SearchHostOptions>();
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("eval");
        var console = ConsoleOutput.For(parse);
        var queriesPath = parse.GetRequiredValue(Queries);
        var qrels = QrelsReader.Read(parse.GetRequiredValue(QrelsFile));
        var queries = QueryFileReader.Read(queriesPath).ToDictionary(q => q.Id, q => q.Text, StringComparer.Ordinal);
        using var searcher = Bm25Searcher.Open(CommonOptions.RequireIndex(options));

        var missing = qrels.QueryIds.Where(id => !queries.ContainsKey(id)).ToList();
        if (missing.Count > 0)
        {
            log.LogWarning("{Count} judged queries are not in {Queries} and score 0 (first: {First})", missing.Count, queriesPath, missing[0]);
        }

        // Rank exactly as the run file does (by printed score, ties by doc id), so the metrics
        // printed here are those any tool computes from the file we write.
        var runPath = parse.GetValue(RunFile);
        EvaluationResult bm25;
        using (var runOutput = runPath is null ? TextWriter.Null : OpenRun(runPath))
        {
            bm25 = RunEvaluation.Evaluate(qrels, queries,
                text => searcher.Rank(text, options.EvalDepth).Select(h => new ScoredDocument(h.DocId, h.Score)).ToList(),
                new TrecRunWriter(runOutput, "bm25"), ct);
        }
        if (runPath is not null) log.LogInformation("Wrote run {Run}", runPath);

        if (parse.GetValue(Json))
        {
            console.Output.WriteLine(JsonSerializer.Serialize(new { queries = bm25.QueryCount, bm25 = bm25.Mean }));
            return 0;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumn("metric").AddColumn(new TableColumn("bm25").RightAligned());
        foreach (var (name, value) in Rows(bm25.Mean)) table.AddRow(name, value.ToString("0.0000", CultureInfo.InvariantCulture));
        console.Out.WriteLine($"{bm25.QueryCount} queries evaluated");
        console.Out.Write(table);
        return 0;
    }

    private static StreamWriter OpenRun(string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            return new StreamWriter(full) { NewLine = "\n" };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"Cannot write the run file '{path}': {e.Message}. Choose a writable path for --run.", path, inner: e);
        }
    }

    private static IEnumerable<(string, double)> Rows(MetricSet m) =>
    [
        ("nDCG@10", m.Ndcg10), ("MRR@10", m.Mrr10), ("MAP", m.Map), ("Recall@100", m.Recall100), ("P@10", m.P10),
    ];
}
