using System.CommandLine;
using Spectre.Console;

namespace Search.Host.Cli;

/// <summary>
/// Where a command writes: results to the invocation's standard output, progress, logs and
/// human-only tables to its standard error. Taken from the parse result so tests can capture
/// both streams in-process.
/// </summary>
internal sealed class ConsoleOutput
{
    private ConsoleOutput(TextWriter output, TextWriter error, bool interactive)
    {
        Output = output;
        Error = error;
        Interactive = interactive;
        var colors = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors;
        Out = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = output == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = output == Console.Out && !Console.IsOutputRedirected ? colors : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        Err = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(error),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = colors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
    }

    /// <summary>Raw standard output, for JSON and run lines.</summary>
    public TextWriter Output { get; }

    /// <summary>Raw standard error.</summary>
    public TextWriter Error { get; }

    /// <summary>A Spectre console over standard output (tables for people).</summary>
    public IAnsiConsole Out { get; }

    /// <summary>A Spectre console over standard error (progress).</summary>
    public IAnsiConsole Err { get; }

    /// <summary>True when standard error is a real terminal, so live progress can be drawn.</summary>
    public bool Interactive { get; }

    /// <summary>The consoles of one invocation.</summary>
    public static ConsoleOutput For(ParseResult parse)
    {
        var config = parse.InvocationConfiguration;
        var error = config.Error;
        var interactive = error == Console.Error && !Console.IsErrorRedirected;
        return new ConsoleOutput(config.Output, error, interactive);
    }
}
