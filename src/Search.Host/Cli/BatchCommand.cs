using System.CommandLine;
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

/// <summary>
/// <c>search-host batch</c>: a TREC run for every query of a query file, no judgments needed (as
/// Pyserini's <c>--topics ... --output</c>); BM25, or reranked with <c>--reranker</c>.
/// </summary>
internal static class BatchCommand
{
    private static readonly Option<string> Queries = new("--queries", "-q")
    {
        Description = "Queries: BEIR queries.jsonl ({\"_id\", \"text\"} per line).",
        Required = true,
    };

    private static readonly Option<string> RunFile = new("--run")
    {
        Description = "The TREC run file to write (qid Q0 docid rank score tag).",
        Required = true,
    };

    private static readonly Option<int> Depth = new Option<int>("--top", "-k")
    {
        Description = "Documents per query. Default 1000 for BM25; with --reranker, the reranked candidates (--candidates).",
    }.CheckedAs(typeof(SearchHostOptions), nameof(SearchHostOptions.EvalDepth));

    private static readonly Option<bool> Overwrite = new("--overwrite")
    {
        Description = "Replace an existing run file at --run (a file that is not a TREC run is never replaced).",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("batch",
            "Write a TREC run for every query of a query file (no judgments needed), in file order; with --reranker, the reranked candidates. " +
            "Evaluate it with `search-host trec-eval` or trec_eval.\n\n" +
            "Example:\n  search-host batch --index .idx/scifact --queries ../shared/datasets/scifact/queries.jsonl --run scifact.bm25.run")
        {
            CommonOptions.Index, Queries, RunFile, Depth, Overwrite, RerankingOptions.NoRerank,
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
        var options = services.Options<SearchHostOptions>();
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("batch");
        var console = ConsoleOutput.For(parse);
        var runPath = parse.GetRequiredValue(RunFile);
        OutputTarget.CheckFile(runPath, OutputKind.RunFile, parse.GetValue(Overwrite), "--run");
        var model = RerankingOptions.Model(parse, options, useDefault: false);
        // batch ranks with BM25 (no query embedder): every reranking flag needs a reranker.
        RerankingOptions.RequireModelFlagsApply(parse, reranks: model is not null, embedsQueries: false, lookedForDefault: false);
        var queries = QueryFileReader.Read(parse.GetRequiredValue(Queries)).ToList();
        using var searcher = Bm25Searcher.Open(CommonOptions.RequireIndex(options));
        using var encoder = model is null ? null : CrossEncoder.Load(model, RerankingOptions.ToEncoderOptions(options.Reranker));
        var reranker = encoder is null ? null : new RerankingSearcher(searcher, encoder, RerankingOptions.ToRerankOptions(options.Reranker));
        var depth = RerankingOptions.RunDepth(parse, Depth, options, reranking: reranker is not null);
        if (encoder is not null) console.Error.WriteLine($"Reranker engine: {encoder.EngineDescription}.");

        using var file = AtomicFile.Create(runPath, OutputKind.RunFile, parse.GetValue(Overwrite), "--run");
        var writer = new TrecRunWriter(file.Writer, reranker is null ? "bm25" : "rerank");
        var empty = new List<string>();
        ProgressDisplay.Count(console, reranker is null ? "Searching" : "Reranking", "queries", queries.Count, report =>
        {
            for (var i = 0; i < queries.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                var text = queries[i].Text;
                IReadOnlyList<ScoredDocument> ranked = reranker is null
                    ? searcher.Rank(text, depth).Select(h => new ScoredDocument(h.DocId, h.Score)).ToList()
                    : reranker.Search(text, depth).Select(h => new ScoredDocument(h.DocId, h.Score)).ToList();
                if (ranked.Count == 0) empty.Add(queries[i].Id);
                writer.WriteQuery(queries[i].Id, ranked);
                report(i + 1);
            }
            return 0;
        });
        file.Commit();
        if (empty.Count > 0)
            log.LogWarning("{Count} queries retrieved nothing (stop words only, or words unknown to the index) and have no line in the run, e.g. {First}", empty.Count, empty[0]);
        console.Output.WriteLine($"Wrote {queries.Count} queries ({queries.Count - empty.Count} with results, depth {depth}) to {Path.GetFullPath(runPath)}");
        return 0;
    }
}
