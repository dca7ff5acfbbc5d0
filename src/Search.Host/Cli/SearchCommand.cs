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
    /// <summary>
    /// How deep to search for the page of <paramref name="top"/> hits after <paramref name="offset"/>: a page is the top
    /// offset + top, less the first offset, so it shows the same hits, ranks and scores as the deeper list shows there.
    /// Shared by <c>search</c> and serve's /search so that the two page alike.
    /// </summary>
    internal static int PageDepth(int top, int offset) => (int)Math.Min((long)top + offset, int.MaxValue - 1);

    private static readonly Argument<string?> Query = new("query")
    {
        Description = "The query. Omit it for an interactive prompt (empty line or Ctrl-D to quit). A query that looks like an option (-vaccine) goes after --.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private static readonly Option<bool> Json = new("--json") { Description = "Print hits as JSON (one object per query)." };

    private static readonly Option<bool> LuceneSyntax = new("--lucene-syntax")
    {
        Description = "Parse the query with full Lucene syntax (AND, \"phrases\", field:term, wildcards). By default a query is a bag of words and no character is special.",
    };

    private static readonly Option<int> Offset = new("--offset")
    {
        Description = "Skip this many hits before the ones shown, for paging: --offset 10 --top 10 shows ranks 11-20 (ranks stay absolute). Default 0.",
    };

    private static readonly Option<string[]> Filter = new("--filter")
    {
        Description = "Only documents whose kept field meets this condition (repeat for several; all must hold): FIELD=VALUE for keyword, number and date fields, "
            + "FIELD>=VALUE, >, <= or < for numbers and dates (ISO 8601: 2021-03-04); no == or !=. A value in double quotes is a JSON string (lang=\"\" for the empty value). Quote it in the shell: --filter 'year>=2020'. Applied before the top k "
            + "is taken, in every first stage, so reranking sees only matching documents. `search-host stats` lists an index's fields.",
        AllowMultipleArgumentsPerToken = false,
    };

    private static readonly Option<bool> HighlightOption = new("--highlight")
    {
        Description = "Show each hit's best passages with the query terms marked (Lucene's highlighter), instead of the start of its text; "
            + "with --json each hit gets \"highlights\": [{fragment (terms in <b></b>, the text HTML-escaped), start, end, score, terms: [[start, end], ...]}], offsets into the hit's raw text, "
            + "and \"title_highlights\" the same for its title (a hit that matches only in its title has title highlights and no text highlights).",
    };

    private const string NoMatches = "No documents match (after analysis the query may contain only stop words).";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("search", "Search an index with BM25, optionally reranked by a cross-encoder (--reranker).\n\n" +
            "Examples:\n  search-host search --index .idx/sample \"how do vaccines train the immune system?\"\n  search-host search --index .idx/sample --reranker models/default-reranker \"why do bridges sway?\"\n  search-host search --index .idx/sample        (interactive)")
        {
            Query, CommonOptions.Index, CommonOptions.Top, Offset, Filter, HighlightOption, Json, LuceneSyntax, RerankingOptions.NoRerank, FirstStageOptions.Retrieval, FirstStageOptions.Embedder, FirstStageOptions.FusionOption, FirstStageOptions.DenseWeight,
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
        // The reranker is known first: its tuned fusion (when it carries one) is the hybrid stage's unless --fusion or --dense-weight is given.
        var model = RerankingOptions.Model(parse, options, useDefault: true);
        var hybridOptions = FirstStageOptions.HybridFrom(parse, model, options);
        var indexDir = CommonOptions.RequireIndex(options);
        using var searcher = Bm25Searcher.Open(indexDir);
        var syntax = parse.GetValue(LuceneSyntax) ? QuerySyntax.Lucene : QuerySyntax.BagOfWords;
        var json = parse.GetValue(Json);
        var query = parse.GetValue(Query);
        if (model is not null && options.Reranker.Model is null)
            console.Error.WriteLine($"Reranking with the default model {model} (--no-rerank for the first stage only).");
        // The first stage opens first: settings its embedder cannot run are refused before the reranker loads.
        using var stages = FirstStageOptions.Open(searcher, parse.GetValue(FirstStageOptions.Retrieval), parse.GetValue(FirstStageOptions.Embedder),
            options, defaultToBm25: syntax == QuerySyntax.Lucene, hybridOptions);
        using var encoder = model is null ? null : DefaultRerankerLoader.Load(model, options);
        // With --json the engine and precision are fields of every answer instead.
        if (encoder is not null && !json) console.Error.WriteLine($"Reranker engine: {encoder.EngineDescription}.");
        // Another process may rebuild the index (index --overwrite) or update it (index --update, delete) while the prompt is
        // open: the searcher then switches to the new commit before the next query, and says which; vectors of a rebuild at
        // another precision (or by another model) are queried with the embedder they need, loaded then, and said too.
        IndexChangeMessages.Report(searcher, stages.Dense, console.Error);
        FirstStageOptions.RequireFusionApplies(FirstStageOptions.FusionFlagsGiven(parse), stages, searcher);
        RerankingOptions.RequireModelFlagsApply(parse, reranks: model is not null, embedsQueries: stages.Dense is not null, lookedForDefault: true);
        if (syntax == QuerySyntax.Lucene && stages.Kind != "bm25")
            throw new InvalidInputException($"--lucene-syntax applies to BM25 only; drop it or use --retrieval bm25 (asked for --retrieval {stages.Kind}).");
        var reranker = encoder is null ? null : new RerankingSearcher(stages.Chosen, encoder, RerankingOptions.ToRerankOptions(options.Reranker));
        // What of each document the cross-encoder reads: a truncated start, a selected window, or every window.
        if (reranker is not null && !json) console.Error.WriteLine($"Reranker reads: {reranker.Passages}.");
        // No reranker was asked for and the default one is not found: say so once the search is set up, with the ways to get one
        // (with --json the answer shows it: no reranker fields, and the JSON line stays the only output).
        if (model is null && !json && !parse.GetValue(RerankingOptions.NoRerank))
            console.Error.WriteLine(DefaultRerankerLoader.NotFoundNote("Searching with the first stage only"));

        var filter = parse.GetValue(Filter) is { Length: > 0 } conditions ? DocumentFilter.Parse(conditions) : null;
        var filtered = DocumentFilter.Filtered(stages.Chosen, filter);
        IReadOnlyList<SearchHit> FirstStage(string text, int k) =>
            stages.Kind == "bm25" ? searcher.Search(text, k, syntax, filter) : filtered.Search(text, k);

        var offset = parse.GetValue(Offset);
        if (offset < 0) throw new InvalidInputException($"--offset must be 0 or more (hits to skip), found {offset}.");
        var depth = PageDepth(options.Top, offset);
        // An index without vectors can only be searched with BM25; say which stage runs when there was a choice, and (hybrid asked for more
        // than its fused lists) the deeper hits appended below them. The first stage is asked for the page, or the rerank window when larger.
        var firstStageDepth = reranker is null ? depth : Math.Max(reranker.Options.Candidates, depth);
        if (!json && searcher.Manifest.Embeddings is not null)
            console.Error.WriteLine($"Retrieval: {FirstStageOptions.Describe(stages, firstStageDepth)}{(reranker is null ? "" : $", top {reranker.Options.Candidates} reranked")}.");
        if (reranker is not null && RerankWindow.Note(reranker.Options.Candidates, depth) is { } note) console.Error.WriteLine(note);

        // Why a page is empty, in words: an empty index, an offset past the last hit, filters that exclude every match, or no match at all.
        string Empty(string text, int found) =>
            searcher.DocumentCount == 0 ? $"No documents: index '{indexDir}' is empty (0 documents)."
            : found > 0 ? $"No hits on this page: --offset {offset} is past the last of {found} {(found == 1 ? "hit" : "hits")}."
            : filter is not null && (stages.Kind == "bm25" ? searcher.Search(text, 1, syntax) : stages.Chosen.Search(text, 1)).Count > 0
                ? $"No matching document meets the filters ({filter})."
            : NoMatches;

        void Answer(string text)
        {
            Func<string, IReadOnlyList<HighlightFragment>>? highlight = parse.GetValue(HighlightOption) ? t => searcher.Highlight(text, t, syntax: syntax) : null;
            if (reranker is null)
            {
                var all = FirstStage(text, depth);
                Show(console, json, text, stages.Kind, FirstStageOptions.EmbedderOf(stages), FirstStageOptions.FusionOf(stages), all.Skip(offset).ToList(), highlight, () => Empty(text, all.Count));
            }
            else
            {
                var all = RerankWindow.Search(FirstStage, reranker, text, depth, ct);
                ShowReranked(console, json, text, stages.Kind, FirstStageOptions.EmbedderOf(stages), FirstStageOptions.FusionOf(stages), encoder!, PassagesJson.Of(reranker.Passages), all.Skip(offset).ToList(), highlight, () => Empty(text, all.Count));
            }
        }

        try
        {
            if (query is not null)
            {
                Answer(query);
                return 0;
            }
            Prompt(console, searcher, Answer, ct);
            return 0;
        }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested)
        {
            throw new CancelledException("search stopped; nothing was changed.", e, ct);
        }
    }

    private static void Prompt(ConsoleOutput console, Bm25Searcher searcher, Action<string> answer, CancellationToken ct)
    {
        console.Error.WriteLine($"Searching {searcher.DocumentCount:N0} documents. Type a query; an empty line, Ctrl-D or Ctrl-C quits.");
        while (true)
        {
            console.Error.Write("query> ");
            string? line;
            try
            {
                line = ReadLine(ct);
            }
            catch (OperationCanceledException)
            {
                console.Error.WriteLine(); // end the prompt's line before the message
                throw;
            }
            if (string.IsNullOrWhiteSpace(line)) break;
            try
            {
                answer(line);
            }
            catch (InvalidInputException e)
            {
                // A bad query in interactive mode is reported and the prompt continues.
                console.Error.WriteLine($"error: {e.Message}");
            }
        }
    }

    /// <summary>
    /// The next line of standard input, or null at its end; a blocking read does not see a token, so
    /// it runs aside and the wait for it ends on cancellation (the process then exits; the read dies with it).
    /// </summary>
    private static string? ReadLine(CancellationToken ct)
    {
        var input = Console.In;
        var read = Task.Run(input.ReadLine, CancellationToken.None);
        read.Wait(ct);
        return read.Result;
    }

    /// <summary>
    /// The hits' JSON line; with highlights, each hit object gets "highlights" after its other members. A null "embedder"
    /// (BM25) or "fusion" (not hybrid) is left out, as serve's /search leaves them out.
    /// </summary>
    private static string JsonLine(object value, IReadOnlyList<(string Title, string Text)> docs, Func<string, IReadOnlyList<HighlightFragment>>? highlight)
    {
        var root = JsonSerializer.SerializeToNode(value, CliJson.Options)!;
        if (root is System.Text.Json.Nodes.JsonObject obj)
            foreach (var name in new[] { "embedder", "fusion" })
                if (obj.TryGetPropertyValue(name, out var member) && member is null) obj.Remove(name);
        if (highlight is null) return root.ToJsonString(CliJson.Options);
        var hits = root["hits"]!.AsArray();
        for (var i = 0; i < hits.Count; i++)
        {
            var (text, title) = HitHighlights.Of(highlight, docs[i].Title, docs[i].Text);
            hits[i]!["highlights"] = JsonSerializer.SerializeToNode(text, CliJson.Options);
            hits[i]!["title_highlights"] = JsonSerializer.SerializeToNode(title, CliJson.Options);
        }
        return root.ToJsonString(CliJson.Options);
    }

    /// <summary>The title cell: bold, with the query terms in it marked when highlighting.</summary>
    private static string TitleCell(string title, Func<string, IReadOnlyList<HighlightFragment>>? highlight)
    {
        if (title.Length == 0 || highlight?.Invoke(title) is not { Count: > 0 } fragments) return $"[bold]{Markup.Escape(title)}[/]";
        var cell = new System.Text.StringBuilder("[bold]");
        var at = 0;
        foreach (var term in fragments.SelectMany(f => f.Terms).OrderBy(t => t.Start))
        {
            if (term.Start < at) continue;
            cell.Append(Markup.Escape(title[at..term.Start])).Append("[yellow]").Append(Markup.Escape(title[term.Start..term.End])).Append("[/]");
            at = term.End;
        }
        return cell.Append(Markup.Escape(title[at..])).Append("[/]").ToString();
    }

    /// <summary>The table cell under the title: the best highlighted passage (terms in bold), else the start of the text.</summary>
    private static string Passage(string text, Func<string, IReadOnlyList<HighlightFragment>>? highlight)
    {
        if (highlight?.Invoke(text) is not [var best, ..]) return Markup.Escape(Snippet.Of(text));
        var cell = new System.Text.StringBuilder();
        var at = best.Start;
        foreach (var term in best.Terms)
        {
            cell.Append(Markup.Escape(text[at..term.Start])).Append("[bold yellow]").Append(Markup.Escape(text[term.Start..term.End])).Append("[/]");
            at = term.End;
        }
        cell.Append(Markup.Escape(text[at..best.End]));
        return (best.Start > 0 ? "…" : "") + cell.ToString().Trim() + (best.End < text.Length ? "…" : "");
    }

    private static void ShowReranked(ConsoleOutput console, bool json, string query, string retrieval, EmbedderJson? embedder, FusionJson? fusion, CrossEncoder encoder, PassagesJson passages, IReadOnlyList<ShownHit> hits,
        Func<string, IReadOnlyList<HighlightFragment>>? highlight, Func<string> empty)
    {
        if (json)
        {
            console.Output.WriteLine(JsonLine(new
            {
                query,
                retrieval,
                embedder,
                fusion,
                engine = InferenceEngineSelection.Name(encoder.Engine),
                precision = InferenceEngineSelection.Name(encoder.Precision),
                passages,
                hits = hits.Select(h => new
                {
                    rank = h.Rank, id = h.DocId, score = h.Score, first_stage_rank = h.FirstStageRank, first_stage_score = h.FirstStageScore,
                    cross_encoder_score = h.CrossEncoderScore, title = h.Title, snippet = Snippet.Of(h.Text),
                }),
            }, hits.Select(h => (h.Title, h.Text)).ToList(), highlight));
            return;
        }
        if (hits.Count == 0)
        {
            console.Output.WriteLine(empty());
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
                new Text(h.CrossEncoderScore?.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture) ?? "not reranked"),
                new Text(h.FirstStageScore.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)),
                new Markup($"{TitleCell(h.Title, highlight)}\n{Passage(h.Text, highlight)}"));
        }
        console.Out.Write(table);
    }

    private static void Show(ConsoleOutput console, bool json, string query, string retrieval, EmbedderJson? embedder, FusionJson? fusion, IReadOnlyList<SearchHit> hits,
        Func<string, IReadOnlyList<HighlightFragment>>? highlight, Func<string> empty)
    {
        if (json)
        {
            console.Output.WriteLine(JsonLine(new
            {
                query,
                retrieval,
                embedder,
                fusion,
                hits = hits.Select(h => new { rank = h.Rank, id = h.DocId, score = h.Score, title = h.Title, snippet = Snippet.Of(h.Text) }),
            }, hits.Select(h => (h.Title, h.Text)).ToList(), highlight));
            return;
        }
        if (hits.Count == 0)
        {
            console.Output.WriteLine(empty());
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
                new Markup($"{TitleCell(h.Title, highlight)}\n{Passage(h.Text, highlight)}"));
        }
        console.Out.Write(table);
    }
}
