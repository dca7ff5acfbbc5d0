using System.CommandLine;
using System.Text.Json;
using Rerank.Lucene;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Search.Host.Hosting;
using Spectre.Console;

namespace Search.Host.Cli;

/// <summary><c>search-host search</c>: one-shot or interactive queries against an index.</summary>
internal static class SearchCommand
{
    private static readonly Argument<string?> Query = new("query")
    {
        Description = "The query. Omit it for an interactive prompt (empty line or Ctrl-D to quit).",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private static readonly Option<bool> Json = new("--json") { Description = "Print hits as JSON (one object per query)." };

    private static readonly Option<bool> LuceneSyntax = new("--lucene-syntax")
    {
        Description = "Parse the query with full Lucene syntax (AND, \"phrases\", field:term, wildcards). By default a query is a bag of words and no character is special.",
    };

    private const string NoMatches = "No documents match (after analysis the query may contain only stop words).";

    private static readonly Option<bool> NoRerank = new("--no-rerank")
    {
        Description = "BM25 only, even when models/default-reranker exists in the working folder.",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("search", "Search an index (BM25, dense or hybrid first stage: --retrieval), optionally reranked by a cross-encoder (--reranker).\n\n" +
            "Examples:\n  search-host search --index .idx/sample \"how do vaccines train the immune system?\"\n  search-host search --index .idx/sample --reranker models/default-reranker \"why do bridges sway?\"\n  search-host search --index .idx/sample        (interactive)")
        {
            Query, CommonOptions.Index, CommonOptions.Top, Json, LuceneSyntax, NoRerank, FirstStageOptions.Retrieval, FirstStageOptions.Embedder,
        };
        foreach (var option in RerankingOptions.All) command.Options.Add(option);
        var bound = new Dictionary<Option, string>
        {
            [CommonOptions.Index] = $"{SearchHostOptions.Section}:Index",
            [CommonOptions.Top] = $"{SearchHostOptions.Section}:Top",
        };
        foreach (var (option, key) in RerankingOptions.Bindings) bound[option] = key;
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, bound, (services, token) =>
            Task.FromResult(Run(parse, services.Options<SearchHostOptions>(), token)), ct));
        return command;
    }

    private static int Run(ParseResult parse, SearchHostOptions options, CancellationToken ct)
    {
        var console = ConsoleOutput.For(parse);
        using var searcher = Bm25Searcher.Open(CommonOptions.RequireIndex(options));
        var syntax = parse.GetValue(LuceneSyntax) ? QuerySyntax.Lucene : QuerySyntax.BagOfWords;
        var json = parse.GetValue(Json);
        var query = parse.GetValue(Query);
        if (parse.GetValue(NoRerank) && options.Reranker.Model is not null)
            throw new InvalidInputException("--no-rerank and --reranker contradict each other; pass one of them.");
        var model = parse.GetValue(NoRerank) ? null : options.Reranker.Model ?? DefaultReranker.Find();
        if (model is not null && options.Reranker.Model is null)
            console.Error.WriteLine($"Reranking with the default model {model} (--no-rerank for BM25 only).");
        using var encoder = model is null ? null : DefaultReranker.Load(model, options);
        using var stages = FirstStageOptions.Open(searcher, parse.GetValue(FirstStageOptions.Retrieval), parse.GetValue(FirstStageOptions.Embedder),
            options, defaultToBm25: syntax == QuerySyntax.Lucene);
        if (syntax == QuerySyntax.Lucene && stages.Kind != "bm25")
            throw new InvalidInputException($"--lucene-syntax applies to BM25 only; drop it or use --retrieval bm25 (asked for --retrieval {stages.Kind}).");
        var reranker = encoder is null ? null : new RerankingSearcher(stages.Chosen, encoder, RerankingOptions.ToRerankOptions(options.Reranker));
        // An index without vectors can only be searched with BM25; say which stage runs when there was a choice.
        if (!json && searcher.Manifest.Embeddings is not null) console.Error.WriteLine($"Retrieval: {FirstStageOptions.Describe(stages)}{(reranker is null ? "" : $", top {reranker.Options.Candidates} reranked")}.");

        IReadOnlyList<SearchHit> FirstStage(string text, int k) =>
            stages.Kind == "bm25" ? searcher.Search(text, k, syntax) : stages.Chosen.Search(text, k);

        void Answer(string text)
        {
            if (reranker is null) Show(console, json, text, stages.Kind, FirstStage(text, options.Top));
            else ShowReranked(console, json, text, stages.Kind, reranker.Rerank(text, FirstStage(text, reranker.Options.Candidates)).Take(options.Top).ToList());
        }

        if (query is not null)
        {
            Answer(query);
            return 0;
        }

        console.Error.WriteLine($"Searching {searcher.DocumentCount:N0} documents. Type a query; an empty line or Ctrl-D quits.");
        while (!ct.IsCancellationRequested)
        {
            console.Error.Write("query> ");
            var line = Console.In.ReadLine();
            if (string.IsNullOrWhiteSpace(line)) break;
            try
            {
                Answer(line);
            }
            catch (InvalidInputException e)
            {
                // A bad query in interactive mode is reported and the prompt continues.
                console.Error.WriteLine($"error: {e.Message}");
            }
        }
        return 0;
    }

    private static void ShowReranked(ConsoleOutput console, bool json, string query, string retrieval, IReadOnlyList<RerankedHit> hits)
    {
        if (json)
        {
            console.Output.WriteLine(JsonSerializer.Serialize(new
            {
                query,
                retrieval,
                hits = hits.Select(h => new
                {
                    rank = h.Rank, id = h.DocId, score = h.Score, first_stage_rank = h.FirstStageRank, first_stage_score = h.FirstStageScore,
                    cross_encoder_score = h.CrossEncoderScore, title = h.Title, snippet = Snippet.Of(h.Text),
                }),
            }));
            return;
        }
        if (hits.Count == 0)
        {
            console.Output.WriteLine(NoMatches);
            return;
        }
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn(new TableColumn("rank").RightAligned())
            .AddColumn(new TableColumn($"{retrieval} rank").RightAligned())
            .AddColumn(new TableColumn("move").Centered())
            .AddColumn("id")
            .AddColumn(new TableColumn("cross-enc.").RightAligned())
            .AddColumn(new TableColumn(retrieval).RightAligned())
            .AddColumn("title / snippet");
        foreach (var h in hits)
        {
            table.AddRow(
                new Text(h.Rank.ToString()),
                new Text(h.FirstStageRank.ToString()),
                new Markup(RankMove.Describe(h.FirstStageRank, h.Rank)),
                new Text(h.DocId),
                new Text(h.CrossEncoderScore.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)),
                new Text(h.FirstStageScore.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)),
                new Markup($"[bold]{Markup.Escape(h.Title)}[/]\n{Markup.Escape(Snippet.Of(h.Text))}"));
        }
        console.Out.Write(table);
    }

    private static void Show(ConsoleOutput console, bool json, string query, string retrieval, IReadOnlyList<SearchHit> hits)
    {
        if (json)
        {
            console.Output.WriteLine(JsonSerializer.Serialize(new
            {
                query,
                retrieval,
                hits = hits.Select(h => new { rank = h.Rank, id = h.DocId, score = h.Score, title = h.Title, snippet = Snippet.Of(h.Text) }),
            }));
            return;
        }
        if (hits.Count == 0)
        {
            console.Output.WriteLine(NoMatches);
            return;
        }
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn(new TableColumn("rank").RightAligned())
            .AddColumn("id")
            .AddColumn(new TableColumn("score").RightAligned())
            .AddColumn("title / snippet");
        foreach (var h in hits)
        {
            table.AddRow(
                new Text(h.Rank.ToString()),
                new Text(h.DocId),
                new Text(h.Score.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)),
                new Markup($"[bold]{Markup.Escape(h.Title)}[/]\n{Markup.Escape(Snippet.Of(h.Text))}"));
        }
        console.Out.Write(table);
    }
}
