using System.CommandLine;
using System.CommandLine.Parsing;
using Rerank.Lucene;

namespace Rerank.Training.Cli;

/// <summary>
/// Finds what the parser lets through or words badly: an unknown option such as <c>--lrr</c>, answered with
/// the closest option (as search-host does; the words are judged by the library's <see cref="CommandLineWords"/>); a whole
/// number too large for its option is answered with the option's own range (<see cref="OptionRules.RangeOf"/>).
/// </summary>
internal static class CommandLineCheck
{
    /// <summary>Whether the parse would run the command (or report parse errors), not show help or the version.</summary>
    public static bool Runs(ParseResult parse) =>
        parse.Action is null or System.CommandLine.Invocation.ParseErrorAction || ReferenceEquals(parse.Action, parse.CommandResult.Command.Action);

    /// <summary>The problems of <paramref name="parse"/>, one message each; empty when there are none.</summary>
    public static List<string> Problems(ParseResult parse, string program)
    {
        var command = parse.CommandResult;
        var names = command.Command.Options.SelectMany(o => (string[])[o.Name, .. o.Aliases]).ToList();
        var afterDoubleDash = parse.Tokens.SkipWhile(t => t.Type != TokenType.DoubleDash).ToHashSet<object>(ReferenceEqualityComparer.Instance);
        var argumentWords = command.Children.OfType<ArgumentResult>()
            .SelectMany(a => a.Tokens).Where(t => !afterDoubleDash.Contains(t)).Select(t => t.Value).ToList();
        return new CommandLineWords(program, names, argumentWords, parse.UnmatchedTokens, parse.Errors.Select(e => ParserMessages.Readable(e.Message, OptionRules.RangeOf(OptionOf(e.SymbolResult)))).ToList()).Messages();
    }

    /// <summary>The option a parse error is about (its value's argument belongs to it); null for other errors.</summary>
    private static Option? OptionOf(SymbolResult? result) => result switch
    {
        OptionResult o => o.Option,
        ArgumentResult { Parent: OptionResult o } => o.Option,
        _ => null,
    };
}
