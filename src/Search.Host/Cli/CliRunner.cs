using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Rerank.Lucene;
using Search.Host.Hosting;

namespace Search.Host.Cli;

/// <summary>
/// Runs one command inside a started host and turns failures into exit codes:
/// 0 success, 1 unexpected failure (with details under <c>--verbose</c>), 2 bad input or
/// invalid settings (one clear message, no stack trace), 130 cancelled.
/// </summary>
internal static class CliRunner
{
    /// <summary>Exit code for bad input and invalid settings.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code when Ctrl-C or SIGTERM cancelled the command (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;

    /// <summary><c>--verbose</c>: debug logging and stack traces for unexpected errors.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log debug messages and show stack traces of unexpected errors.",
        Recursive = true,
    };

    /// <summary>
    /// Starts a host whose configuration includes the values of the <paramref name="bound"/>
    /// flags that the user actually typed (keyed by configuration path), then runs <paramref name="body"/>.
    /// </summary>
    public static async Task<int> RunAsync(
        ParseResult parse,
        IReadOnlyDictionary<Option, string> bound,
        Func<IServiceProvider, CancellationToken, Task<int>> body,
        CancellationToken ct)
    {
        var verbose = parse.GetValue(Verbose);
        var error = parse.InvocationConfiguration.Error;
        try
        {
            using var host = await SearchHostBuilder.StartAsync(ExplicitSettings(parse, bound), verbose, null, ct);
            var code = await body(host.Services, ct);
            await host.StopAsync(CancellationToken.None);
            return code;
        }
        catch (InvalidInputException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return BadInput;
        }
        catch (OptionsValidationException e)
        {
            // One line per bad setting (flags are checked while parsing; these come from appsettings.json or the environment).
            foreach (var failure in e.Failures)
            {
                await error.WriteLineAsync($"error: invalid settings: {failure.TrimEnd('.')}. " +
                    "Check the flags, appsettings.json and SEARCHRERANK_* environment variables.");
            }
            return BadInput;
        }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested)
        {
            await error.WriteLineAsync(e is CancelledException c ? $"cancelled: {c.Kept}" : "cancelled");
            return Cancelled;
        }
        catch (Exception e) when (!verbose)
        {
            await error.WriteLineAsync($"error: {e.Message} (run again with --verbose for details)");
            return 1;
        }
    }

    /// <summary>The flags the user typed, as configuration key/value pairs.</summary>
    internal static Dictionary<string, string?> ExplicitSettings(ParseResult parse, IReadOnlyDictionary<Option, string> bound)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (option, key) in bound)
        {
            var result = parse.GetResult(option);
            if (result is System.CommandLine.Parsing.OptionResult { Implicit: false } optionResult)
            {
                var value = optionResult.GetValueOrDefault<object?>();
                settings[key] = value switch
                {
                    null => null,
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    _ => value.ToString(),
                };
            }
        }
        // A typed option that heads a group replaces the group's configured settings as a whole (typed --passages first must not
        // meet a configured PassageSelect): the group's untyped settings are set to nothing, which hides the configured ones.
        foreach (var (lead, companions) in RerankingOptions.ReplacedTogether)
        {
            if (!bound.TryGetValue(lead, out var leadKey) || !settings.ContainsKey(leadKey)) continue;
            foreach (var companion in companions)
                if (bound.TryGetValue(companion, out var key) && !settings.ContainsKey(key)) settings[key] = null;
        }
        return settings;
    }

    /// <summary>Resolves validated options from the host.</summary>
    public static T Options<T>(this IServiceProvider services) where T : class =>
        services.GetRequiredService<IOptions<T>>().Value;
}
