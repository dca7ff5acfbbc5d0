using System.CommandLine;
using System.Globalization;
using Rerank.Lucene;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Spectre.Console;

namespace Search.Host.Cli;

/// <summary>
/// <c>search-host demo</c>: the whole product on the project's sample corpus. Indexes
/// <c>corpora/sample</c> (once), then answers its queries with BM25 and with BM25 reranked by the
/// default cross-encoder, side by side, and evaluates both on the sample judgments.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Hits shown per sample query, in each column.</summary>
    private const int ShownPerQuery = 5;

    private static readonly Option<string> Corpus = new("--corpus")
    {
        Description = "Sample corpus folder (corpus.jsonl, queries.jsonl, qrels/test.tsv).",
        DefaultValueFactory = _ => Path.Combine("corpora", "sample"),
    };

    private static readonly Option<string> Index = new("--index", "-i")
    {
        Description = "Where the demo index lives; built when missing.",
        DefaultValueFactory = _ => Path.Combine(".idx", "sample"),
    };

    private static readonly Option<int> Queries = new("--queries")
    {
        Description = "How many sample queries to show.",
        DefaultValueFactory = _ => 3,
        Validators =
        {
            result =>
            {
                if (result.Tokens.Count > 0 && int.TryParse(result.Tokens[0].Value, out var n) && n < 1)
                    result.AddError($"--queries must be at least 1, found {n}.");
            },
        },
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("demo", "Index the sample corpus (once) and show BM25 vs reranked results side by side.\n\n" +
            "Example:\n  search-host demo\n  search-host demo --reranker models/my-reranker --queries 5")
        {
            Corpus, Index, Queries, RerankingOptions.Reranker, RerankingOptions.NoRerank, RerankingOptions.Candidates, RerankingOptions.Device, RerankingOptions.Precision, RerankingOptions.Engine,
            FirstStageOptions.Retrieval, FirstStageOptions.FusionOption, FirstStageOptions.DenseWeight,
        };
        var bound = RerankingOptions.Bindings.ToDictionary(p => p.Key, p => p.Value);
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, bound, (services, token) =>
            Task.FromResult(Run(parse, services.Options<Hosting.SearchHostOptions>(), token)), ct));
        return command;
    }

    private static int Run(ParseResult parse, Hosting.SearchHostOptions options, CancellationToken ct)
    {
        var console = ConsoleOutput.For(parse);
        // Flag values before files: a bad value is reported as such even where the sample corpus is not found.
        FirstStageOptions.CheckValues(parse);
        var corpus = parse.GetRequiredValue(Corpus);
        var indexDir = parse.GetRequiredValue(Index);
        var corpusFile = Path.Combine(corpus, "corpus.jsonl");
        if (!File.Exists(corpusFile))
            throw new InvalidInputException($"The sample corpus '{corpusFile}' is missing. Run the demo from the repository root, or pass --corpus FOLDER.", corpusFile);
        // Its queries and judgments are read before anything is indexed, so a corpus folder without them fails at once.
        var queries = QueryFileReader.Read(Path.Combine(corpus, "queries.jsonl"));
        var qrels = QrelsReader.Read(Path.Combine(corpus, "qrels", "test.tsv"));
        // The reranker loads before anything is indexed too: settings it cannot run with (say bf16 where libtorch is absent)
        // fail before an index is written. Its tuned fusion (when it carries one) is the hybrid stage's unless --fusion or
        // --dense-weight is given.
        var model = RerankingOptions.Model(parse, options, useDefault: true);
        // Reranking flags without a reranker, before anything is indexed (--engine, --device and --threads still embed the demo's
        // documents and queries; whether a query embedder runs at all is checked again once the first stage is open).
        RerankingOptions.RequireModelFlagsApply(parse, reranks: model is not null, embedsQueries: true, lookedForDefault: true);
        using var encoder = model is null ? null : DefaultRerankerLoader.Load(model, options);

        if (!File.Exists(Path.Combine(indexDir, IndexManifest.FileName)))
        {
            // --device, --engine and --threads apply to both models, as on search; the embedder's precision is auto (fp32).
            using var embedder = BiEncoder.LoadBundled(FirstStageOptions.QueryEncoderOptions(options));
            var manifest = ProgressDisplay.Run(console, "Indexing the sample corpus", progress =>
                IndexBuilder.Build(CorpusReader.ReadJsonl(corpusFile), indexDir,
                    new IndexOptions(Source: Path.GetFullPath(corpusFile), Embedder: embedder), progress, ct));
            console.Out.WriteLine($"Indexed {manifest.DocumentCount} sample documents into {indexDir}.");
            // A typed --precision is the reranker's here; the embedder's own "auto" reason (which suggests --precision int8) would
            // read as if the flag were ignored, so the reason given is the demo's.
            console.Out.WriteLine(parse.GetResult(RerankingOptions.Precision) is { Implicit: false }
                ? $"Embedder engine: {InferenceEngineSelection.Name(embedder.Engine)} {InferenceEngineSelection.Name(embedder.Precision)} on {embedder.Device} "
                  + "(the demo embeds in fp32; --precision sets the reranker's)."
                : $"Embedder engine: {embedder.EngineDescription}.");
        }
        using var bm25 = Bm25Searcher.Open(indexDir);
        // An index of another corpus would be searched with this corpus's queries and judged by its qrels: every score meaningless.
        var source = bm25.Manifest.Source;
        if (source != Path.GetFullPath(corpusFile) && source != Path.GetFullPath(corpus))
            throw new InvalidInputException(
                $"Index '{indexDir}' was built from {source}, not from --corpus {Path.GetFullPath(corpus)}: its documents would be judged with another corpus's queries. "
                + $"Pass --index with another folder (the demo builds it there), or delete '{indexDir}' to rebuild it from this corpus.",
                Path.Combine(indexDir, IndexManifest.FileName));
        using var stages = FirstStageOptions.Open(bm25, parse.GetValue(FirstStageOptions.Retrieval), null, options,
            hybridOptions: FirstStageOptions.HybridFrom(parse, model, options));
        FirstStageOptions.RequireFusionApplies(FirstStageOptions.FusionFlagsGiven(parse), stages, bm25, anyHybrid: true);
        RerankingOptions.RequireModelFlagsApply(parse, reranks: model is not null, embedsQueries: stages.Dense is not null, lookedForDefault: true);
        console.Out.WriteLine($"First stage: {FirstStageOptions.Describe(stages)}.");

        if (model is null && parse.GetValue(RerankingOptions.NoRerank))
        {
            console.Out.WriteLine("No reranker (--no-rerank): showing the first stages only.");
        }
        else if (model is null)
        {
            console.Out.MarkupLine($"[yellow]{Markup.Escape(DefaultRerankerLoader.NotFoundNote("Showing the first stages only"))}[/] "
                + Markup.Escape("In a clone of SearchRerank, rebuild it with eval/default-reranker/build.sh or restore it with `git checkout -- models/default-reranker`."));
        }
        var reranker = encoder is null ? null : new RerankingSearcher(stages.Chosen, encoder, RerankingOptions.ToRerankOptions(options.Reranker));
        if (encoder is not null) console.Out.WriteLine($"Reranker: {model} ({encoder.EngineDescription}), {stages.Kind} top {reranker!.Options.Candidates} rescored, each document read as {reranker.Passages}.");
        if (reranker is not null && RerankWindow.Note(reranker.Options.Candidates, ShownPerQuery, $"the {ShownPerQuery} hits shown per query") is { } note)
            console.Error.WriteLine(note);

        foreach (var query in queries.Take(parse.GetValue(Queries)))
        {
            ShowQuery(console, query, bm25, stages, reranker, qrels.Judgments(query.Id), ct);
        }

        var texts = queries.ToDictionary(q => q.Id, q => q.Text);
        var bm25Result = RunEvaluation.Evaluate(qrels, texts,
            t => bm25.Rank(t, 100).Select(h => new ScoredDocument(h.DocId, h.Score)).ToList(), ct: ct);
        var line = string.Create(CultureInfo.InvariantCulture, $"All {bm25Result.QueryCount} sample queries, nDCG@10: BM25 {bm25Result.Mean.Ndcg10:F4}");
        foreach (var stage in new ICandidateRetriever?[] { stages.Dense, stages.Hybrid })
        {
            if (stage is null) continue;
            var result = RunEvaluation.Evaluate(qrels, texts, t => stage.Rank(t, 100).Select(h => new ScoredDocument(h.DocId, h.Score)).ToList(), ct: ct);
            line += string.Create(CultureInfo.InvariantCulture, $", {stage.Name} {result.Mean.Ndcg10:F4}");
        }
        if (reranker is not null)
        {
            var reranked = RunEvaluation.Evaluate(qrels, texts,
                t => reranker.Search(t, reranker.Options.Candidates, ct).Select(h => new ScoredDocument(h.DocId, h.Score)).ToList(), ct: ct);
            line += string.Create(CultureInfo.InvariantCulture, $", reranked {reranked.Mean.Ndcg10:F4}");
        }
        console.Out.WriteLine(line);
        return 0;
    }

    private static void ShowQuery(ConsoleOutput console, QueryRecord query, Bm25Searcher bm25, FirstStages stages, RerankingSearcher? reranker, IReadOnlyDictionary<string, int> judged, CancellationToken ct)
    {
        const int shown = ShownPerQuery;
        console.Out.WriteLine();
        console.Out.MarkupLine($"[bold]Query {Markup.Escape(query.Id)}:[/] {Markup.Escape(query.Text)}");
        var bm25Hits = bm25.Search(query.Text, shown);
        var firstStage = stages.Kind == "bm25" ? null : stages.Chosen.Search(query.Text, shown);
        var reranked = reranker is null ? null : RerankWindow.Search((text, k) => stages.Chosen.Search(text, k), reranker, query.Text, shown, ct);
        var table = new Table().Border(TableBorder.Simple).AddColumn(new TableColumn("#").RightAligned()).AddColumn("BM25");
        if (firstStage is not null) table.AddColumn(stages.Kind);
        if (reranked is not null) table.AddColumn($"reranked ({stages.Kind} rank, move)");
        for (var i = 0; i < shown; i++)
        {
            var cells = new List<string> { (i + 1).ToString(CultureInfo.InvariantCulture) };
            cells.Add(i < bm25Hits.Count ? Describe(bm25Hits[i].DocId, bm25Hits[i].Title, judged) : "");
            if (firstStage is not null) cells.Add(i < firstStage.Count ? Describe(firstStage[i].DocId, firstStage[i].Title, judged) : "");
            if (reranked is not null)
            {
                cells.Add(i < reranked.Count
                    ? $"{Describe(reranked[i].DocId, reranked[i].Title, judged)} ({reranked[i].FirstStageRank}, " +
                      (reranked[i].CrossEncoderScore is null ? "not reranked)" : $"{RankMove.Describe(reranked[i].FirstStageRank, reranked[i].Rank)})")
                    : "");
            }
            table.AddRow(cells.ToArray());
        }
        console.Out.Write(table);
    }

    /// <summary>"[green]sci-03[/] How vaccines train immunity ✓" — judged relevant documents are marked.</summary>
    private static string Describe(string id, string title, IReadOnlyDictionary<string, int> judged)
    {
        var relevant = judged.TryGetValue(id, out var rel) && rel > 0;
        var text = $"{Markup.Escape(id)} {Markup.Escape(title.Length > 40 ? title[..40] + "…" : title)}";
        return relevant ? $"[green]{text} ✓[/]" : text;
    }
}
