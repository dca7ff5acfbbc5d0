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

    private static readonly Option<string> DenseRunFile = new("--dense-run")
    {
        Description = "Write the dense ranking as a TREC run file (index with document vectors).",
    };

    private static readonly Option<string> HybridRunFile = new("--hybrid-run")
    {
        Description = "Write the hybrid ranking as a TREC run file (index with document vectors).",
    };

    private static readonly Option<bool> Overwrite = new("--overwrite")
    {
        Description = "Replace existing run files (a file that is not a TREC run is never replaced).",
    };

    private static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON object: {\"queries\": N, \"queries_without_relevant\": N, \"queries_without_text\": N, \"depth\": D, \"retrieval\": \"bm25|dense|hybrid\", "
            + "\"bm25\": {\"ndcg@10\": ..., \"mrr@10\": ..., \"map\": ..., \"recall@100\": ..., \"p@10\": ...}, \"dense\": {...}, \"hybrid\": {...} (index with vectors), "
            + "\"reranked\": {...} (with --reranker), \"ms_per_query\": {\"bm25\": ..., ..., \"reranked\": ... (the whole reranked search: first stage and cross-encoder)}}.",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("eval", "Evaluate BM25 (and dense and hybrid when the index has document vectors), and with --reranker the reranked ranking, on queries with judgments: nDCG@10, MRR@10, MAP, Recall@100, P@10, as trec_eval -c computes them from the run files written.\n\n" +
            "Example:\n  search-host eval --index .idx/scifact --queries ../shared/datasets/scifact/queries.jsonl --qrels ../shared/datasets/scifact/qrels/test.tsv --run bm25.run")
        {
            CommonOptions.Index, Queries, QrelsFile, Depth, RunFile, DenseRunFile, HybridRunFile, RerankedRunFile, Overwrite, Json, RerankingOptions.NoRerank,
            FirstStageOptions.Retrieval, FirstStageOptions.Embedder, FirstStageOptions.FusionOption, FirstStageOptions.DenseWeight,
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
            var runs = new[] { parse.GetValue(RunFile), parse.GetValue(DenseRunFile), parse.GetValue(HybridRunFile), parse.GetValue(RerankedRunFile) }.OfType<string>().Select(f => $"'{f}'").ToList();
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
        // The reranker is known first: its tuned fusion (when it carries one) is the hybrid stage's unless --fusion or --dense-weight is given.
        var model = RerankingOptions.Model(parse, options, useDefault: false);
        var hybridOptions = FirstStageOptions.HybridFrom(parse, model, options);
        var queriesPath = parse.GetRequiredValue(Queries);
        var qrels = QrelsReader.Read(parse.GetRequiredValue(QrelsFile));
        var queries = QueryFileReader.Read(queriesPath).ToDictionary(q => q.Id, q => q.Text, StringComparer.Ordinal);
        var index = CommonOptions.RequireIndex(options);
        // One index throughout: a rebuild of it while evaluating does not mix two indexes into one result.
        using var searcher = Bm25Searcher.Open(index, reopenWhenRebuilt: false);
        using var stages = FirstStageOptions.Open(searcher, parse.GetValue(FirstStageOptions.Retrieval), parse.GetValue(FirstStageOptions.Embedder), options,
            hybridOptions: hybridOptions);
        FirstStageOptions.RequireFusionApplies(FirstStageOptions.FusionFlagsGiven(parse), stages, searcher, anyHybrid: true);
        RerankingOptions.RequireModelFlagsApply(parse, reranks: model is not null, embedsQueries: stages.Dense is not null, lookedForDefault: false);
        // Said on standard error, as search's notes: the hybrid column is then not what the reranker was tuned with.
        if (FirstStageOptions.TunedFusionNotApplied(stages, hybridOptions) is { } notApplied) console.Error.WriteLine(notApplied);
        if (stages.Dense is null && (parse.GetValue(DenseRunFile) is not null || parse.GetValue(HybridRunFile) is not null))
            throw new InvalidInputException("--dense-run and --hybrid-run need an index with document vectors; this one has none (build it with `search-host index` without --embedder none).");

        var missing = qrels.QueryIds.Where(id => !queries.ContainsKey(id)).ToList();
        if (missing.Count > 0)
        {
            log.LogWarning("{Count} judged queries are not in {Queries} and score 0 (first: {First})", missing.Count, queriesPath, missing[0]);
        }

        var rerankedPath = parse.GetValue(RerankedRunFile);
        if (model is null && rerankedPath is not null)
            throw new InvalidInputException("--reranked-run needs a model: pass --reranker DIR as well.");
        // The model is loaded before anything is ranked, so a bad model fails fast.
        using var encoder = model is null ? null : CrossEncoder.Load(model, RerankingOptions.ToEncoderOptions(options.Reranker));
        // As search says it (--json carries "engine" and "precision" instead).
        if (encoder is not null && !parse.GetValue(Json)) console.Error.WriteLine($"Reranker engine: {encoder.EngineDescription}.");

        // Like with like: with a reranker, every stage is evaluated (and written) at the depth the reranker
        // sees, its candidates, so MAP and Recall of all columns count the same number of documents.
        var depth = RerankingOptions.RunDepth(parse, Depth, options, reranking: encoder is not null);
        var runPaths = new (Option<string> Option, string? Path)[]
        {
            (RunFile, parse.GetValue(RunFile)), (DenseRunFile, parse.GetValue(DenseRunFile)), (HybridRunFile, parse.GetValue(HybridRunFile)), (RerankedRunFile, rerankedPath),
        };
        CheckRunFiles(runPaths, parse.GetValue(Overwrite));
        log.LogInformation("Retrieval for reranking: {Retrieval}", FirstStageOptions.Describe(stages));

        // Run files are written under temporary names and moved into place only when everything succeeded.
        var files = new List<AtomicFile>();
        try
        {
            TextWriter Open(string? path, string option)
            {
                if (path is null) return TextWriter.Null;
                var file = AtomicFile.Create(path, OutputKind.RunFile, parse.GetValue(Overwrite), option);
                files.Add(file);
                return file.Writer;
            }

            // Every stage is ranked exactly as its run file is written (by printed score, ties by doc id
            // descending as trec_eval), so the metrics printed here are those any tool computes from the files.
            var stageResults = new List<(string Name, EvaluationResult Result, double MsPerQuery)>();
            var unanswered = new List<string>();
            void EvaluateStage(ICandidateRetriever retriever, string? runPath, string option, int decimals)
            {
                var output = Open(runPath, option);
                // One query first, untimed: the first forward pass of a model is several times slower than the rest.
                if (retriever is not Bm25Searcher) retriever.Rank("warm up", 1);
                var clock = new System.Diagnostics.Stopwatch();
                var calls = 0;
                var result = RunEvaluation.Evaluate(qrels, queries, text =>
                {
                    clock.Start();
                    var ranked = retriever.Rank(text, depth);
                    clock.Stop();
                    calls++;
                    if (ranked.Count == 0 && retriever is Bm25Searcher) unanswered.Add(text);
                    return ranked.Select(h => new ScoredDocument(Writable(h.DocId, index), h.Score)).ToList();
                }, new TrecRunWriter(output, retriever.Name, decimals), ct);
                stageResults.Add((retriever.Name, result, calls == 0 ? 0 : clock.Elapsed.TotalMilliseconds / calls));
            }
            EvaluateStage(searcher, parse.GetValue(RunFile), RunFile.Name, TrecRunWriter.DefaultDecimals);
            if (unanswered.Count > 0)
                log.LogWarning("{Count} queries retrieved nothing with BM25 (their words are all stop words or unknown to the index) and score 0 there, e.g. '{First}'", unanswered.Count, unanswered[0]);
            if (stages.Dense is not null)
            {
                EvaluateStage(stages.Dense, parse.GetValue(DenseRunFile), DenseRunFile.Name, TrecRunWriter.DefaultDecimals);
                // Fused scores are sums of 1/(60 + rank): 10 decimals keep distinct float32 values distinct in the file.
                EvaluateStage(stages.Hybrid!, parse.GetValue(HybridRunFile), HybridRunFile.Name, 10);
            }

            EvaluationResult? reranked = null;
            double? rerankedMs = null;
            (double Weight, EvaluationResult Result)? interpolated = null;
            PassageOptions? passages = null;
            if (encoder is not null)
            {
                var reranker = new RerankingSearcher(stages.Chosen, encoder, RerankingOptions.ToRerankOptions(options.Reranker));
                log.LogInformation("Reranking {Retrieval} top {Candidates} with {Model}: {Engine}, max length {MaxLength}, documents scored {Passages}",
                    stages.Kind, reranker.Options.Candidates, model, encoder.EngineDescription, encoder.MaxLength, reranker.Passages);
                passages = reranker.Passages;
                var rerankedOutput = Open(rerankedPath, RerankedRunFile.Name);
                var judged = qrels.QueryIds.Count(queries.ContainsKey);
                // Score each query's candidates once; the interpolated ranking reuses the same scores.
                var scored = new Dictionary<string, IReadOnlyList<RerankedHit>>(StringComparer.Ordinal);
                var rerankClock = new System.Diagnostics.Stopwatch();
                var rerankCalls = 0;
                reranked = ProgressDisplay.Count(console, "Reranking", "queries", judged, report =>
                {
                    var done = 0;
                    return RunEvaluation.Evaluate(qrels, queries, text =>
                    {
                        rerankClock.Start();
                        var hits = reranker.Search(text, reranker.Options.Candidates, ct);
                        rerankClock.Stop();
                        rerankCalls++;
                        scored[text] = hits;
                        report(++done);
                        return hits.Select(h => new ScoredDocument(h.DocId, h.Score)).ToList();
                    }, new TrecRunWriter(rerankedOutput, "rerank"), ct);
                });
                // The whole reranked search per query: its first stage, tokenization and the cross-encoder over the candidates.
                rerankedMs = rerankCalls == 0 ? 0 : rerankClock.Elapsed.TotalMilliseconds / rerankCalls;
                var weight = options.Reranker.InterpolationWeight ?? encoder.Settings.WeightFor(stages.Kind);
                if (reranker.ScoreMode == ScoreMode.Replace && weight is { } w)
                {
                    interpolated = (w, RunEvaluation.Evaluate(qrels, queries, text =>
                    {
                        var hits = scored[text];
                        var final = ScoreCombiner.Combine(hits.Select(h => (double)h.FirstStageScore).ToList(), hits.Select(h => (double)h.CrossEncoderScore).ToList(), ScoreMode.Interpolate, w);
                        return hits.Select((h, i) => new ScoredDocument(h.DocId, final[i])).ToList();
                    }));
                }
            }
            foreach (var file in files) file.Commit();
            foreach (var (_, path) in runPaths)
                if (path is not null) log.LogInformation("Wrote run {Run}", path);

            var bm25 = stageResults[0].Result;
            if (parse.GetValue(Json))
            {
                var result = new Dictionary<string, object>
                {
                    ["queries"] = bm25.QueryCount,
                    ["queries_without_relevant"] = bm25.NoRelevantQueryIds.Count,
                    ["queries_without_text"] = bm25.MissingQueryIds.Count,
                    ["depth"] = depth,
                    ["retrieval"] = stages.Kind,
                };
                if (FirstStageOptions.EmbedderOf(stages) is { } embedder) result["embedder"] = embedder;
                if (FirstStageOptions.FusionOf(stages, whenAnyHybrid: true) is { } fusion) result["fusion"] = fusion;
                foreach (var (name, r, _) in stageResults) result[name] = r.Mean;
                if (reranked is not null) result["reranked"] = reranked.Mean;
                if (encoder is not null)
                {
                    result["engine"] = InferenceEngineSelection.Name(encoder.Engine);
                    result["precision"] = InferenceEngineSelection.Name(encoder.Precision);
                }
                if (passages is not null) result["passages"] = PassagesJson.Of(passages);
                if (interpolated is { } ip)
                {
                    result["interpolated"] = ip.Result.Mean;
                    result["interpolation_weight"] = ip.Weight;
                }
                var times = stageResults.ToDictionary(s => s.Name, s => Math.Round(s.MsPerQuery, 2));
                if (rerankedMs is { } ms) times["reranked"] = Math.Round(ms, 2);
                result["ms_per_query"] = times;
                console.Output.WriteLine(CliJson.Serialize(result));
                return 0;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumn("metric");
            foreach (var (name, _, _) in stageResults) table.AddColumn(new TableColumn(name).RightAligned());
            if (reranked is not null) table.AddColumn(new TableColumn("reranked").RightAligned()).AddColumn(new TableColumn($"change vs {stages.Kind}").RightAligned());
            var stageRows = stageResults.Select(s => Rows(s.Result.Mean).ToList()).ToList();
            var chosenRows = stageRows[stageResults.FindIndex(s => s.Name == stages.Kind)];
            var rerankedRows = reranked is null ? null : Rows(reranked.Mean).ToList();
            for (var i = 0; i < chosenRows.Count; i++)
            {
                var cells = new List<string> { chosenRows[i].Item1 };
                cells.AddRange(stageRows.Select(rows => Format(rows[i].Item2)));
                if (rerankedRows is not null)
                {
                    cells.Add(Format(rerankedRows[i].Item2));
                    cells.Add((rerankedRows[i].Item2 - chosenRows[i].Item2).ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture));
                }
                table.AddRow(cells.ToArray());
            }
            console.Output.WriteLine(QueryCountLine(bm25, depth, "not in the queries file"));
            console.Out.Write(table);
            if (stageResults.Count > 1)
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Time per query: {string.Join(", ", stageResults.Select(s => $"{s.Name} {s.MsPerQuery:F1} ms"))} (first stage only; dense and hybrid include embedding the query)."));
            if (reranked is not null) console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Reranked: {FirstStageOptions.Describe(stages, depth)} candidates, {rerankedMs:F1} ms per query (first stage and cross-encoder)."));
            if (interpolated is { } shown)
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Interpolated (cross-encoder weight {shown.Weight:0.##}, {stages.Kind} {1 - shown.Weight:0.##}): nDCG@10 {shown.Result.Mean.Ndcg10:F4}, MRR@10 {shown.Result.Mean.Mrr10:F4}, MAP {shown.Result.Mean.Map:F4}"));
            return 0;
        }
        finally
        {
            foreach (var file in files) file.Dispose();
        }
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
        return $"{Words.Count(result.QueryCount, "judged query", "judged queries")} evaluated{scoringZero}{(depth is { } d ? $", depth {d}" : "")}";
    }

    /// <summary>Every run path may be written (new, or a run file with --overwrite) and no two are the same file; checked before any work.</summary>
    private static void CheckRunFiles(IReadOnlyList<(Option<string> Option, string? Path)> runs, bool overwrite)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (option, path) in runs)
        {
            if (path is null) continue;
            OutputTarget.CheckFile(path, OutputKind.RunFile, overwrite, option.Name);
            if (!seen.TryAdd(Path.GetFullPath(path), option.Name))
                throw new InvalidInputException($"{seen[Path.GetFullPath(path)]} and {option.Name} are the same file '{path}'; give each its own file.", path);
        }
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
