using System.CommandLine;
using System.CommandLine.Parsing;
using Rerank.Lucene;

namespace Search.Host.Cli;

/// <summary>
/// Finds what the parser lets through or words badly: an unknown option such as <c>--jsn</c>, whether the
/// parser left it unmatched or took it as the query, each answered with the closest option of the command.
/// </summary>
internal static class CommandLineCheck
{
    /// <summary>Whether the parse would run a command (or report parse errors), not show help or the version.</summary>
    public static bool Runs(ParseResult parse) =>
        parse.Action is null or System.CommandLine.Invocation.ParseErrorAction || ReferenceEquals(parse.Action, parse.CommandResult.Command.Action);

    /// <summary>The problems of <paramref name="parse"/>, one message each; empty when there are none.</summary>
    /// <param name="parse">The parse result.</param>
    /// <param name="program">The program name shown in messages (the root command's name is the executable's).</param>
    public static List<string> Problems(ParseResult parse, string program)
    {
        var literal = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var afterDoubleDash = false;
        foreach (var token in parse.Tokens)
        {
            if (afterDoubleDash) literal.Add(token);
            else if (token.Type == TokenType.DoubleDash) afterDoubleDash = true;
        }
        var command = parse.CommandResult;
        var names = new List<string>();
        var path = new List<string>();
        for (SymbolResult? result = command; result is CommandResult c; result = c.Parent)
        {
            var local = ReferenceEquals(c, command);
            foreach (var option in c.Command.Options.Where(o => local || o.Recursive))
                names.AddRange([option.Name, .. option.Aliases]);
            if (c.Parent is not null) path.Insert(0, c.Command.Name);
        }
        path.Insert(0, program);
        var argumentWords = command.Children.OfType<ArgumentResult>()
            .SelectMany(a => a.Tokens).Where(t => !literal.Contains(t)).Select(t => t.Value).ToList();
        return new CommandLineWords(string.Join(' ', path), names, argumentWords, parse.UnmatchedTokens,
            parse.Errors.Select(e => ParserMessages.Readable(e.Message, SettingChecks.RangeOf(OptionOf(e.SymbolResult)))).ToList(), command.Command.Subcommands.Select(c => c.Name).ToList()).Messages();
    }

    private static Option? OptionOf(SymbolResult? result) => result switch
    {
        OptionResult o => o.Option,
        ArgumentResult { Parent: OptionResult o } => o.Option,
        _ => null,
    };
}
