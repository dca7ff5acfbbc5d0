using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Search.Host.Hosting;

/// <summary>
/// Builds the generic host behind every <c>search-host</c> command: configuration from
/// <c>appsettings.json</c> (next to the program, then the working folder), environment
/// variables prefixed <c>SEARCHRERANK_</c>, and the flags the user typed (highest precedence);
/// logging to standard error so standard output carries only results; options validated at start.
/// </summary>
internal static class SearchHostBuilder
{
    /// <summary>The prefix of environment variables read as configuration.</summary>
    public const string EnvironmentPrefix = "SEARCHRERANK_";

    /// <summary>Builds and starts a host; <paramref name="commandLineSettings"/> are flag values keyed by configuration path.</summary>
    public static async Task<IHost> StartAsync(
        IReadOnlyDictionary<string, string?> commandLineSettings,
        bool verbose,
        Action<IServiceCollection>? configureServices,
        CancellationToken ct)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        Configure(builder, commandLineSettings, verbose);
        configureServices?.Invoke(builder.Services);

        var host = builder.Build();
        try
        {
            // Settings are validated here, before the host starts: a host that fails to start logs the
            // validation exception with its stack trace, and the command line reports it in one line anyway.
            try
            {
                var section = host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>().GetSection(SearchHostOptions.Section);
                RequireKnownKeys(section, typeof(SearchHostOptions));
                RequireValueKinds(section, typeof(SearchHostOptions));
                _ = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SearchHostOptions>>().Value;
            }
            catch (InvalidOperationException e)
            {
                // The binder's own words name the setting: an unknown key, or a value of the wrong type.
                throw new Rerank.Lucene.InvalidInputException(
                    $"invalid settings: {e.Message.TrimEnd('.')}. Check appsettings.json and the SEARCHRERANK_* environment variables.", inner: e);
            }
            await host.StartAsync(ct);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses a value under <paramref name="section"/> that the binder cannot convert to its setting's type (nested sections checked
    /// against their own types), naming the key as appsettings.json and the environment variable spell it, the kind expected and the
    /// value found: "SearchHost:Reranker:PassageSelect must be a whole number, found 'abc'"; the binder's own message names a .NET type.
    /// Values are converted as the binder converts them (the type's converter, invariant culture), so what it accepts passes here.
    /// </summary>
    /// <exception cref="Rerank.Lucene.InvalidInputException">The first value that does not convert.</exception>
    internal static void RequireValueKinds(Microsoft.Extensions.Configuration.IConfigurationSection section, Type type)
    {
        foreach (var property in type.GetProperties().Where(p => p.CanWrite))
        {
            var child = section.GetSection(property.Name);
            var target = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (target.IsClass && target != typeof(string))
            {
                if (!typeof(System.Collections.IEnumerable).IsAssignableFrom(target)) RequireValueKinds(child, target);
                continue;
            }
            if (string.IsNullOrEmpty(child.Value) || target == typeof(string)) continue;
            try
            {
                _ = System.ComponentModel.TypeDescriptor.GetConverter(target).ConvertFromInvariantString(child.Value);
                continue;
            }
            catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException || e.InnerException is FormatException or OverflowException)
            {
                var kind = target == typeof(bool) ? "true or false"
                    : target == typeof(int) || target == typeof(long) ? "a whole number"
                    : target == typeof(double) || target == typeof(float) ? "a number" : $"a {target.Name}";
                throw new Rerank.Lucene.InvalidInputException(
                    $"invalid settings: {child.Path} must be {kind}, found '{child.Value}'{(e.InnerException is OverflowException ? ", which is too large" : "")}. Set it to {kind} or remove it, in appsettings.json or the environment variable "
                    + $"SEARCHRERANK_{child.Path.Replace(":", "__", StringComparison.Ordinal)}.", inner: e);
            }
        }
    }

    /// <summary>
    /// Refuses a key under <paramref name="section"/> that is not a setting of <paramref name="type"/> (nested sections
    /// checked against their own types), naming the key as appsettings.json and the environment variable spell it and the
    /// settings there are: the binder's own message names neither.
    /// </summary>
    /// <exception cref="Rerank.Lucene.InvalidInputException">The first unknown key.</exception>
    internal static void RequireKnownKeys(Microsoft.Extensions.Configuration.IConfigurationSection section, Type type)
    {
        var properties = type.GetProperties().Where(p => p.CanWrite).ToList();
        foreach (var child in section.GetChildren())
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
                throw new Rerank.Lucene.InvalidInputException(
                    $"invalid settings: {child.Path} is not a setting (environment variable SEARCHRERANK_{child.Path.Replace(":", "__", StringComparison.Ordinal)}); " +
                    $"the {section.Path} settings are {string.Join(", ", properties.Select(p => p.Name))}. Fix or remove it in appsettings.json or the environment.");
            var nested = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (nested.IsClass && !typeof(System.Collections.IEnumerable).IsAssignableFrom(nested)) RequireKnownKeys(child, nested); // collections hold items, not settings
        }
    }

    /// <summary>
    /// Adds <paramref name="path"/> (when it exists) as a JSON settings file. A file that does not parse is refused
    /// with its path, line and position (the framework's own message names neither line nor position).
    /// </summary>
    /// <exception cref="Rerank.Lucene.InvalidInputException">The file is not valid JSON.</exception>
    internal static void AddSettingsFile(IConfigurationBuilder configuration, string path)
    {
        try
        {
            configuration.AddJsonFile(path, optional: true);
            if (configuration is not IConfigurationRoot) configuration.Build();
        }
        catch (InvalidDataException e)
        {
            // The provider wraps the parser's JsonException (which has the line and position) in a FormatException.
            System.Text.Json.JsonException? json = null;
            for (var inner = e.InnerException; inner is not null && json is null; inner = inner.InnerException) json = inner as System.Text.Json.JsonException;
            var place = json is { LineNumber: { } line, BytePositionInLine: { } column } ? $", line {line + 1}, position {column + 1}" : "";
            var why = (json?.Message ?? e.InnerException?.Message ?? e.Message).Split(" LineNumber:", 2)[0].TrimEnd('.', ' ');
            throw new Rerank.Lucene.InvalidInputException($"settings file {path}{place}: not valid JSON ({why}). Fix or remove the file.", path,
                json?.LineNumber is { } at ? (int)at + 1 : null, e);
        }
    }

    /// <summary>
    /// The configuration sources, logging and validated <see cref="SearchHostOptions"/> every command's host has;
    /// shared with <c>search-host serve</c>, whose web application builder is configured the same way.
    /// </summary>
    public static void Configure(IHostApplicationBuilder builder, IReadOnlyDictionary<string, string?> commandLineSettings, bool verbose)
    {
        AddSettingsFile(builder.Configuration, Path.Combine(AppContext.BaseDirectory, "appsettings.json"));
        AddSettingsFile(builder.Configuration, Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"));
        builder.Configuration
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddInMemoryCollection(commandLineSettings);

        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        // Everything the logger writes goes to standard error: standard output is for results.
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(
            o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // A filter for every category, added after the configuration's: appsettings.json's "Default": "Warning" is a rule of the
        // same reach, and the later of two such rules wins, so --verbose shows debug messages whatever the files say.
        if (verbose) builder.Logging.SetMinimumLevel(LogLevel.Debug).AddFilter((string?)null, LogLevel.Debug);

        builder.Services.AddOptions<SearchHostOptions>()
            // A misspelt setting (SEARCHRERANK_SearchHost__Topp) is an error, never silently ignored.
            .Bind(builder.Configuration.GetSection(SearchHostOptions.Section), o => o.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        // Data annotations checked with messages that name the setting (SearchHost:Top), not the C# member.
        builder.Services.AddSingleton<IValidateOptions<SearchHostOptions>>(new SettingsValidator<SearchHostOptions>(SearchHostOptions.Section));
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
    }
}
