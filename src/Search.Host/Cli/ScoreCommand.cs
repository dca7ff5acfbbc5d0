using System.CommandLine;
using System.Globalization;
using Rerank.Lucene;
using Rerank.Lucene.Reranking;
using Search.Host.Hosting;

namespace Search.Host.Cli;

/// <summary><c>search-host score</c>: cross-encoder scores for (query, document) pairs, one per line.</summary>
internal static class ScoreCommand
{
    private static readonly Option<string> Pairs = new("--pairs", "-p")
    {
        Description = "TSV (query<TAB>document per line) or JSONL ({\"query\", \"document\"} per line).",
        Required = true,
    };

    private static readonly Option<string> Format = new("--format")
    {
        Description = "text (default): one score per line; jsonl: one object per line with the score and the model's input ids and token types.",
        DefaultValueFactory = _ => "text",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("score", "Score (query, document) pairs with a cross-encoder; prints one score per line, in input order, on standard output (like CrossEncoder.predict); a head with several labels prints one tab-separated score per label.\n\n" +
            "Example:\n  search-host score --reranker models/default-reranker --pairs pairs.tsv > scores.txt")
        {
            Pairs, Format,
        };
        foreach (var option in new Option[] { RerankingOptions.Reranker, RerankingOptions.BatchSize, RerankingOptions.MaxLength, RerankingOptions.Device, RerankingOptions.Precision, RerankingOptions.Engine, RerankingOptions.Threads })
            command.Options.Add(option);
        var bound = RerankingOptions.Bindings.ToDictionary(p => p.Key, p => p.Value);
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, bound, (services, token) =>
            Task.FromResult(Run(parse, services.Options<SearchHostOptions>(), token)), ct));
        return command;
    }

    private static int Run(ParseResult parse, SearchHostOptions options, CancellationToken ct)
    {
        var console = ConsoleOutput.For(parse);
        var model = options.Reranker.Model ?? throw new InvalidInputException(
            "No model given. Pass --reranker DIR (a cross-encoder folder, e.g. written by rerank-train).");
        // Every flag is checked before the pairs are read and the model is loaded.
        var format = parse.GetValue(Format);
        if (format is not ("text" or "jsonl")) throw new InvalidInputException($"Unknown --format '{format}'. Use text or jsonl.");
        var pairs = PairFileReader.Read(parse.GetRequiredValue(Pairs));
        using var encoder = CrossEncoder.Load(model, RerankingOptions.ToEncoderOptions(options.Reranker));
        // Standard output holds only the scores; which engine and precision computed them goes to standard error, as search says it.
        console.Error.WriteLine($"Reranker engine: {encoder.EngineDescription}.");
        float[][] scores;
        try
        {
            // Every label of the head, as CrossEncoder.predict returns them (one for a reranker).
            scores = encoder.PredictLabels(pairs, ct);
        }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested)
        {
            throw new CancelledException("no scores were printed.", e, ct);
        }
        for (var i = 0; i < scores.Length; i++)
        {
            if (format == "text")
            {
                console.Output.WriteLine(string.Join('\t', scores[i].Select(s => s.ToString("R", CultureInfo.InvariantCulture))));
                continue;
            }
            var e = encoder.Encode(pairs[i].Query, pairs[i].Document);
            console.Output.WriteLine(scores[i].Length == 1
                ? CliJson.Serialize(new
                {
                    query = pairs[i].Query, document = pairs[i].Document, score = scores[i][0], input_ids = e.InputIds, token_type_ids = e.TokenTypeIds,
                })
                : CliJson.Serialize(new
                {
                    query = pairs[i].Query, document = pairs[i].Document, scores = encoder.Labels.Select((l, k) => new { label = l, score = scores[i][k] }),
                    input_ids = e.InputIds, token_type_ids = e.TokenTypeIds,
                }));
        }
        return 0;
    }
}
