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

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("score", "Score (query, document) pairs with a cross-encoder; prints one score per line, in input order, on standard output (like CrossEncoder.predict).\n\n" +
            "Example:\n  search-host score --reranker models/default-reranker --pairs pairs.tsv > scores.txt")
        {
            Pairs,
        };
        foreach (var option in new Option[] { RerankingOptions.Reranker, RerankingOptions.BatchSize, RerankingOptions.MaxLength, RerankingOptions.Device, RerankingOptions.Precision, RerankingOptions.Threads })
            command.Options.Add(option);
        var bound = RerankingOptions.Bindings.ToDictionary(p => p.Key, p => p.Value);
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, bound, (services, token) =>
            Task.FromResult(Run(parse, services.Options<SearchHostOptions>())), ct));
        return command;
    }

    private static int Run(ParseResult parse, SearchHostOptions options)
    {
        var console = ConsoleOutput.For(parse);
        var model = options.Reranker.Model ?? throw new InvalidInputException(
            "No model given. Pass --reranker DIR (a cross-encoder folder, e.g. written by rerank-train).");
        var pairs = PairFileReader.Read(parse.GetRequiredValue(Pairs));
        using var encoder = CrossEncoder.Load(model, RerankingOptions.ToEncoderOptions(options.Reranker));
        foreach (var score in encoder.Predict(pairs))
        {
            console.Output.WriteLine(score.ToString("R", CultureInfo.InvariantCulture));
        }
        return 0;
    }
}
