using System.CommandLine;

namespace Search.Host.Cli;

/// <summary>The <c>search-host</c> command tree.</summary>
internal static class SearchHostCli
{
    /// <summary>The program's name in messages.</summary>
    public const string ProgramName = "search-host";

    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("search-host: BM25 search over a Lucene index, reranked by a BERT cross-encoder.")
        {
            CliRunner.Verbose,
            DemoCommand.Create(),
            IndexCommand.Create(),
            IndexStoreCommands.CreateDelete(),
            IndexStoreCommands.CreateGet(),
            IndexStoreCommands.CreateStats(),
            SearchCommand.Create(),
            EvalCommand.Create(),
            TrecEvalCommand.Create(),
            BatchCommand.Create(),
            ScoreCommand.Create(),
            ModelCommand.Create(),
            Serving.ServeCommand.Create(),
        };
        return root;
    }

    /// <summary>
    /// How words become options: no POSIX bundling, so the query "-vaccine immune" is not read as -v (--verbose)
    /// followed by "accine immune", and no response files, so the query "@home" is not read as a file name.
    /// </summary>
    internal static ParserConfiguration ParserSettings => new() { EnablePosixBundling = false, ResponseFileTokenReplacer = null };

    /// <summary>
    /// Parses and runs. Parse errors (an unknown or missing option, a bad value, an option-like word
    /// taken as the query) are bad input: one message per error on standard error and exit code 2,
    /// keeping standard output for results. An unknown option is answered with the closest one.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration? config = null, CancellationToken ct = default)
    {
        config ??= new InvocationConfiguration();
        var parse = CreateRootCommand().Parse(args, ParserSettings);
        var problems = CommandLineCheck.Problems(parse, ProgramName);
        if (problems.Count > 0 && CommandLineCheck.Runs(parse))
        {
            foreach (var problem in problems) await config.Error.WriteLineAsync($"error: {problem} (see --help)");
            return CliRunner.BadInput;
        }
        return await parse.InvokeAsync(config, ct);
    }
}
