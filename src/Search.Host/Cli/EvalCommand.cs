using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rerank.Lucene;
using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Output;
using Rerank.Lucene.Reranking;
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
        Description = "Judgments: BEIR TSV (query-id corpus-id score; the header line 'query-id<TAB>corpus-id<TAB>score' is optional, no other header is accepted) or TREC qrels (qid 0 docid rel). Only queries judged here are evaluated.",
        Required = true,
    };

    private static readonly Option<int> Depth = new Option<int>("--top", "-k")
    {
        Description = "Documents retrieved and written per query. Default 1000 (as BEIR/Anserini runs; Recall@100 and MAP need depth).",
    }.CheckedAs(typeof(SearchHostOptions), nameof(SearchHostOptions.EvalDepth));

    private static readonly Option<string> RunFile = new("--run")
    {
        Description = "Write the ranking as a TREC run file (qid Q0 docid rank score tag) that trec_eval and Pyserini read. Written only when the evaluation succeeds.",
    };

    private static readonly Option<string> RerankedRunFile = new("--reranked-run")
    {
        Description = "With --reranker: write the reranked top candidates as a TREC run file.",
    };

    private static readonly Option<bool> Overwrite = new("--overwrite")
    {
        Description = "Replace existing run files at --run and --reranked-run (a file that is not a TREC run is never replaced).",
    };

    private static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON object: {\"queries\": N, \"bm25\": {\"ndcg@10\": ..., \"mrr@10\": ..., \"map\": ..., \"recall@100\": ..., \"p@10\": ...}}.",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("eval", "Evaluate BM25, and with --reranker the reranked ranking, on queries with judgments: nDCG@10, MRR@10, MAP, Recall@100, P@10.\n\n" +
            "Example:\n  search-host eval --index .idx/scifact --queries ../shared/datasets/scifact/queries.jsonl --qrels ../shared/datasets/scifact/qrels/test.tsv --run bm25.run")
        {
            CommonOptions.Index, Queries, QrelsFile, Depth, RunFile, RerankedRunFile, Overwrite, Json, RerankingOptions.NoRerank,
        };
        foreach (var option in RerankingOptions.All) command.Options.Add(option);
        var bound = new Dictionary<Option, string>
        {
            [CommonOptions.Index] = $"{SearchHostOptions.Section}:Index",
            [Depth] = $"{SearchHostOptions.Section}:EvalDepth",
        };
        foreach (var (option, key) in RerankingOptions.Bindings) bound[option] = key;
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, bound, (services, token) =>
            Task.FromResult(Run(parse, services, token)), ct));
        return command;
    }

    private static int Run(ParseResult parse, IServiceProvider services, CancellationToken ct)
    {
        try
        {
            return Evaluate(parse, services, ct);
        }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested)
        {
            var runs = new[] { parse.GetValue(RunFile), parse.GetValue(RerankedRunFile) }.OfType<string>().Select(f => $"'{f}'").ToList();
            // Run files are written through AtomicFile: a cancelled run writes none and leaves an existing one as it was.
            throw new CancelledException("no metrics were printed" +
                (runs.Count == 0 ? "." : $"; {string.Join(" and ", runs)} {(runs.Count > 1 ? "were" : "was")} not written (an existing file is unchanged)."), e, ct);
        }
    }

    private static int Evaluate(ParseResult parse, IServiceProvider services, CancellationToken ct)
    {
        var options = services.Options<SearchHostOptions>();
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("eval");
        var console = ConsoleOutput.For(parse);
        var queriesPath = parse.GetRequiredValue(Queries);
        var qrels = QrelsReader.Read(parse.GetRequiredValue(QrelsFile));
        var queries = QueryFileReader.Read(queriesPath).ToDictionary(q => q.Id, q => q.Text, StringComparer.Ordinal);
        // One index throughout: a rebuild of it while evaluating does not mix two indexes into one result.
        using var searcher = Bm25Searcher.Open(CommonOptions.RequireIndex(options), reopenWhenRebuilt: false);

        var missing = qrels.QueryIds.Where(id => !queries.ContainsKey(id)).ToList();
        if (missing.Count > 0)
        {
            log.LogWarning("{Count} judged queries are not in {Queries} and score 0 (first: {First})", missing.Count, queriesPath, missing[0]);
        }

        var model = RerankingOptions.Model(parse, options, useDefault: false);
        var rerankedPathGiven = parse.GetValue(RerankedRunFile);
        if (model is null && rerankedPathGiven is not null)
            throw new InvalidInputException("--reranked-run needs a model: pass --reranker DIR as well.");
        // The model is loaded before BM25 ranks anything, so a bad model fails fast.
        using var encoder = model is null ? null : CrossEncoder.Load(model, RerankingOptions.ToEncoderOptions(options.Reranker));

        // Rank exactly as the run file does (by printed score, ties by doc id), so the metrics
        // printed here are those any tool computes from the file we write.
        // Like with like: with a reranker, BM25 is evaluated (and written) at the depth the reranker
        // sees, its candidates, so MAP and Recall of both columns count the same number of documents.
        var depth = options.EvalDepth;
        if (encoder is not null)
        {
            var candidates = RerankingOptions.ToRerankOptions(options.Reranker).Candidates;
            if (parse.GetResult(Depth) is { Implicit: false } && depth != candidates)
                throw new InvalidInputException($"--top {depth} differs from --candidates {candidates}: with a reranker both rankings are evaluated at the depth of the candidates, so that MAP and Recall compare like with like. Drop --top, or set --candidates {depth}.");
            depth = candidates;
        }
        var index = CommonOptions.RequireIndex(options);
        var runPath = parse.GetValue(RunFile);
        var rerankedPath = parse.GetValue(RerankedRunFile);
        CheckRunFiles(runPath, rerankedPath, parse.GetValue(Overwrite));
        EvaluationResult bm25;
        var unanswered = new List<string>();
        // Run files are written under temporary names and moved into place only when everything succeeded.
        using var runFile = runPath is null ? null : AtomicFile.Create(runPath);
        using var rerankedFile = rerankedPath is null ? null : AtomicFile.Create(rerankedPath);
        bm25 = RunEvaluation.Evaluate(qrels, queries,
            text =>
            {
                var hits = searcher.Rank(text, depth);
                if (hits.Count == 0) unanswered.Add(text);
                return hits.Select(h => new ScoredDocument(Writable(h.DocId, index), h.Score)).ToList();
            },
            new TrecRunWriter(runFile?.Writer ?? TextWriter.Null, "bm25"), ct);
        if (unanswered.Count > 0)
            log.LogWarning("{Count} queries retrieved nothing (their words are all stop words or unknown to the index) and score 0, e.g. '{First}'", unanswered.Count, unanswered[0]);

        EvaluationResult? reranked = null;
        (double Weight, EvaluationResult Result)? interpolated = null;
        if (encoder is not null)
        {
            var reranker = new RerankingSearcher(searcher, encoder, RerankingOptions.ToRerankOptions(options.Reranker));
            log.LogInformation("Reranking BM25 top {Candidates} with {Model} on {Device}, max length {MaxLength}",
                reranker.Options.Candidates, model, encoder.Device, encoder.MaxLength);
            var judged = qrels.QueryIds.Count(queries.ContainsKey);
            // Score each query's candidates once; the interpolated ranking reuses the same scores.
            var scored = new Dictionary<string, IReadOnlyList<RerankedHit>>(StringComparer.Ordinal);
            reranked = ProgressDisplay.Count(console, "Reranking", "queries", judged, report =>
            {
                var done = 0;
                return RunEvaluation.Evaluate(qrels, queries, text =>
                {
                    var hits = reranker.Search(text, reranker.Options.Candidates, ct);
                    scored[text] = hits;
                    report(++done);
                    return hits.Select(h => new ScoredDocument(h.DocId, h.Score)).ToList();
                }, new TrecRunWriter(rerankedFile?.Writer ?? TextWriter.Null, "rerank"), ct);
            });
            var weight = options.Reranker.InterpolationWeight ?? encoder.Settings.InterpolationWeight;
            if (reranker.ScoreMode == ScoreMode.Replace && weight is { } w)
            {
                interpolated = (w, RunEvaluation.Evaluate(qrels, queries, text =>
                {
                    var hits = scored[text];
                    var final = ScoreCombiner.Combine(hits.Select(h => (double)h.Bm25Score).ToList(), hits.Select(h => (double)h.CrossEncoderScore).ToList(), ScoreMode.Interpolate, w);
                    return hits.Select((h, i) => new ScoredDocument(h.DocId, final[i])).ToList();
                }));
            }
        }
        runFile?.Commit();
        rerankedFile?.Commit();
        if (runPath is not null) log.LogInformation("Wrote run {Run}", runPath);
        if (rerankedPath is not null) log.LogInformation("Wrote run {Run}", rerankedPath);

        if (parse.GetValue(Json))
        {
            var result = new Dictionary<string, object>
            {
                ["queries"] = bm25.QueryCount,
                ["queries_without_relevant"] = bm25.NoRelevantQueryIds.Count,
                ["queries_without_text"] = bm25.MissingQueryIds.Count,
                ["depth"] = depth,
                ["bm25"] = bm25.Mean,
            };
            if (reranked is not null) result["reranked"] = reranked.Mean;
            if (interpolated is { } ip)
            {
                result["interpolated"] = ip.Result.Mean;
                result["interpolation_weight"] = ip.Weight;
            }
            console.Output.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumn("metric").AddColumn(new TableColumn("bm25").RightAligned());
        if (reranked is not null) table.AddColumn(new TableColumn("reranked").RightAligned()).AddColumn(new TableColumn("change").RightAligned());
        var bm25Rows = Rows(bm25.Mean).ToList();
        var rerankedRows = reranked is null ? null : Rows(reranked.Mean).ToList();
        for (var i = 0; i < bm25Rows.Count; i++)
        {
            var (name, value) = bm25Rows[i];
            var cells = new List<string> { name, Format(value) };
            if (rerankedRows is not null)
            {
                cells.Add(Format(rerankedRows[i].Item2));
                cells.Add((rerankedRows[i].Item2 - value).ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture));
            }
            table.AddRow(cells.ToArray());
        }
        console.Output.WriteLine(QueryCountLine(bm25, depth, "not in the queries file"));
        console.Out.Write(table);
        if (interpolated is { } shown)
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Interpolated (cross-encoder weight {shown.Weight:0.##}, BM25 {1 - shown.Weight:0.##}): nDCG@10 {shown.Result.Mean.Ndcg10:F4}, MRR@10 {shown.Result.Mean.Mrr10:F4}, MAP {shown.Result.Mean.Map:F4}"));
        return 0;
    }

    private static string Format(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>How many queries counted and why some score 0, as trec_eval -c counts them.</summary>
    /// <param name="result">The evaluation.</param>
    /// <param name="depth">The depth ranked, when one was chosen here.</param>
    /// <param name="missingMeans">What a query missing from the run means here (e.g. "not in the queries file"), or null to leave it out.</param>
    internal static string QueryCountLine(EvaluationResult result, int? depth, string? missingMeans)
    {
        var zero = new List<string>();
        if (result.NoRelevantQueryIds.Count > 0) zero.Add($"{result.NoRelevantQueryIds.Count} without a relevant document");
        if (missingMeans is not null && result.MissingQueryIds.Count > 0) zero.Add($"{result.MissingQueryIds.Count} {missingMeans}");
        var scoringZero = zero.Count == 0 ? "" : $" ({string.Join(", ", zero)}, scoring 0 as with trec_eval -c)";
        return $"{result.QueryCount} judged queries evaluated{scoringZero}{(depth is { } d ? $", depth {d}" : "")}";
    }

    /// <summary>Both run paths may be written (new, or a run file with --overwrite) and are distinct; checked before any work.</summary>
    private static void CheckRunFiles(string? runPath, string? rerankedPath, bool overwrite)
    {
        if (runPath is not null) OutputTarget.CheckFile(runPath, OutputKind.RunFile, overwrite, "--run");
        if (rerankedPath is null) return;
        OutputTarget.CheckFile(rerankedPath, OutputKind.RunFile, overwrite, "--reranked-run");
        if (runPath is not null && Path.GetFullPath(runPath) == Path.GetFullPath(rerankedPath))
            throw new InvalidInputException($"--run and --reranked-run are the same file '{runPath}'; give each its own file.", runPath);
    }

    /// <summary>
    /// The id, when a run file can hold it. An index built by the library from ids that `search-host index` now
    /// refuses (whitespace, control characters) is reported here, instead of as a writer's internal error.
    /// </summary>
    private static string Writable(string docId, string index) => IdRules.Problem(docId) is { } problem
        ? throw new InvalidInputException(
            $"The index '{index}' holds the document id {IdRules.Quote(docId)}, which {problem}: a TREC run file separates columns by whitespace " +
            "and cannot hold it, and qrels cannot name it. Fix the ids in the corpus and rebuild the index (`search-host index` reports each such id with its line).",
            index)
        : docId;

    private static IEnumerable<(string, double)> Rows(MetricSet m) =>
    [
        ("nDCG@10", m.Ndcg10), ("MRR@10", m.Mrr10), ("MAP", m.Map), ("Recall@100", m.Recall100), ("P@10", m.P10),
    ];
}
