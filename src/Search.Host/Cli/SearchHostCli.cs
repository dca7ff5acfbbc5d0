using System.CommandLine;

namespace Search.Host.Cli;

/// <summary>The <c>search-host</c> command tree.</summary>
internal static class SearchHostCli
{
    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("search-host: BM25 search over a Lucene index, reranked by a BERT cross-encoder.")
        {
            CliRunner.Verbose,
            DemoCommand.Create(),
            IndexCommand.Create(),
            SearchCommand.Create(),
            EvalCommand.Create(),
            TrecEvalCommand.Create(),
            BatchCommand.Create(),
            ScoreCommand.Create(),
            ModelCommand.Create(),
        };
        return root;
    }

    /// <summary>
    /// Parses and runs. Parse errors (an unknown or missing option) are bad input: one message per
    /// error on standard error and exit code 2, keeping standard output for results.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration? config = null, CancellationToken ct = default)
    {
        config ??= new InvocationConfiguration();
        var parse = CreateRootCommand().Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            foreach (var error in parse.Errors) await config.Error.WriteLineAsync($"error: {error.Message} (see --help)");
            return CliRunner.BadInput;
        }
        return await parse.InvokeAsync(config, ct);
    }
}
