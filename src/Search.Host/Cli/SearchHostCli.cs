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
            ScoreCommand.Create(),
            ModelCommand.Create(),
        };
        return root;
    }
}
