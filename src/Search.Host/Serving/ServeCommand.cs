using System.CommandLine;
using System.Reflection;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rerank.Lucene;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Search.Host.Cli;
using Search.Host.Hosting;

namespace Search.Host.Serving;

/// <summary>
/// <c>search-host serve</c>: the search pipeline of <c>search</c> (same flags and settings) behind HTTP,
/// plus a TEI-shaped /rerank that needs no index. Runs until Ctrl-C or SIGTERM, then stops taking requests,
/// lets in-flight ones finish (Serve:ShutdownSeconds) and exits 130.
/// </summary>
internal static class ServeCommand
{
    private static readonly Option<string> Urls = new("--urls")
    {
        Description = "Where to listen, separated by ';'. Default http://127.0.0.1:8080 (loopback only). Binding elsewhere: set an API key " +
            "(Serve:ApiKey in appsettings.json or SEARCHRERANK_Serve__ApiKey; never on the command line, where ps shows it).",
    };

    private static readonly Option<bool> NoDynamicBatching = new("--no-dynamic-batching")
    {
        Description = "Score each request's pairs on its own instead of coalescing concurrent requests into shared model batches (for comparison; Serve:DynamicBatching).",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("serve", "Serve search and reranking over HTTP: GET/POST /search, POST /rerank (text-embeddings-inference's shape), " +
            "/health, /ready, /metrics (Prometheus), /openapi/v1.json and a search page at /.\n\n" +
            "Examples:\n  search-host serve --index .idx/sample\n  search-host serve --index .idx/sample --reranker models/default-reranker --urls http://127.0.0.1:9000\n" +
            "  search-host serve --reranker models/default-reranker      (/rerank only)")
        {
            CommonOptions.Index, CommonOptions.Top, Urls, NoDynamicBatching, RerankingOptions.NoRerank,
            FirstStageOptions.Retrieval, FirstStageOptions.Embedder, FirstStageOptions.FusionOption, FirstStageOptions.DenseWeight,
        };
        foreach (var option in RerankingOptions.All) command.Options.Add(option);
        var bound = new Dictionary<Option, string>
        {
            [CommonOptions.Index] = $"{SearchHostOptions.Section}:Index",
            [CommonOptions.Top] = $"{SearchHostOptions.Section}:Top",
            [Urls] = $"{ServeOptions.Section}:Urls",
        };
        foreach (var (option, key) in RerankingOptions.Bindings) bound[option] = key;
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, bound, (services, token) => RunAsync(parse, bound, services, token), ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, Dictionary<Option, string> bound, IServiceProvider services, CancellationToken ct)
    {
        var error = parse.InvocationConfiguration.Error;
        var options = services.Options<SearchHostOptions>();
        var settings = CliRunner.ExplicitSettings(parse, bound);
        if (parse.GetValue(NoDynamicBatching)) settings[$"{ServeOptions.Section}:DynamicBatching"] = "false";
        var serve = ReadServeOptions(services.GetRequiredService<IConfiguration>(), settings);
        CheckUrls(serve.Urls);
        if (options.Top > serve.MaxTop)
            throw new InvalidInputException($"--top (SearchHost:Top) is {options.Top}, above Serve:MaxTop ({serve.MaxTop}), the most hits a request may ask for: " +
                "every request without k would be refused. Lower --top or raise Serve:MaxTop.");
        if (serve.ApiKey is null && !ServeApp.LoopbackOnly(serve.Urls))
            await error.WriteLineAsync($"warning: listening beyond loopback ({serve.Urls}) without an API key: anyone who can reach it can use it. Set Serve:ApiKey.");

        var model = RerankingOptions.Model(parse, options, useDefault: true);
        // The reranker's tuned fusion (when it carries one) is the hybrid stage's unless --fusion or --dense-weight is given.
        var hybridOptions = FirstStageOptions.HybridFrom(parse, model, options);
        if (options.Index is null && model is null)
            throw new InvalidInputException("Nothing to serve: pass --index DIR to search (build one with `search-host index`), --reranker DIR for /rerank, or both.");
        if (model is not null && options.Reranker.Model is null)
            await error.WriteLineAsync($"Reranking with the default model {model} (--no-rerank for the first stage only).");
        else if (model is null && !parse.GetValue(RerankingOptions.NoRerank))
            await error.WriteLineAsync(DefaultRerankerLoader.NotFoundNote("Serving /search with the first stage only, and no /rerank"));

        var (app, service) = ServeApp.Build(settings, parse.GetValue(CliRunner.Verbose), serve, options, metrics => Open(options, serve, model, parse.GetValue(FirstStageOptions.Retrieval), parse.GetValue(FirstStageOptions.Embedder), hybridOptions, metrics,
            FirstStageOptions.FusionFlagsGiven(parse),
            // Reranking flags with no reranker are refused, as search refuses them: --engine, --device and --threads only where queries are embedded.
            stages => RerankingOptions.RequireModelFlagsApply(parse, reranks: model is not null, embedsQueries: stages?.Dense is not null, lookedForDefault: true)));
        await using var _ = app;
        using var __ = service;
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            throw new InvalidInputException($"Cannot listen on {serve.Urls}: {e.Message}. Pick another address with --urls.", inner: e);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("certificate", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidInputException($"Cannot listen on {serve.Urls}: HTTPS needs a server certificate and serve configures none. " +
                "Listen on http:// behind a proxy or load balancer that terminates TLS.", inner: e);
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        await error.WriteLineAsync($"Listening on {string.Join(", ", addresses)}" +
            (service.Index is null ? " (/rerank only)" : $": {service.Index.DocumentCount:N0} documents, {service.RetrievalDescription}") +
            (service.Encoder is null ? ", no reranker" : $", reranker {service.Encoder.ModelPath} on {service.Encoder.EngineDescription}") +
            $", dynamic batching {(serve.DynamicBatching ? "on" : "off")}. Ctrl-C or SIGTERM stops it.");
        // An index rebuilt or updated by another process is reopened before the next query; say so, as search does.
        if (service.Index is { } index) IndexChangeMessages.Report(index, service.Dense, error);
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested)
        {
            await error.WriteLineAsync($"stopping: no new requests; in-flight ones get up to {serve.ShutdownSeconds} s to finish.");
            var unfinished = await ServeApp.StopAsync(app, serve);
            throw new CancelledException(unfinished == 0
                ? "the server stopped after finishing its in-flight requests."
                : $"the server stopped; {unfinished} in-flight request{(unfinished == 1 ? " was" : "s were")} still running after Serve:ShutdownSeconds ({serve.ShutdownSeconds} s) and {(unfinished == 1 ? "was" : "were")} aborted (answered 503 where the connection still allowed).", e, ct);
        }
        return 0;
    }

    /// <summary>Opens the index (SearchHost:Index, when set) with its first stage, and the cross-encoder <paramref name="model"/> (when not null), as <c>search</c> does.</summary>
    /// <param name="checkStages">Called with the first stage once it is open (null without an index), before the model loads: the
    /// command's check that its flags apply (<see cref="RerankingOptions.RequireModelFlagsApply"/>).</param>
    internal static SearchService Open(SearchHostOptions options, ServeOptions serve, string? model, string? retrieval, string? embedder, HybridOptions hybridOptions, ServeMetrics metrics,
        IReadOnlyList<string>? fusionFlags = null, Action<FirstStages?>? checkStages = null)
    {
        Bm25Searcher? bm25 = null;
        FirstStages? stages = null;
        CrossEncoder? encoder = null;
        DynamicBatcher? batcher = null;
        try
        {
            if (options.Index is { } index)
            {
                bm25 = Bm25Searcher.Open(index);
                stages = FirstStageOptions.Open(bm25, retrieval, embedder, options, hybridOptions: hybridOptions);
                FirstStageOptions.RequireFusionApplies(fusionFlags ?? [], stages, bm25);
            }
            checkStages?.Invoke(stages);
            if (model is not null) encoder = DefaultRerankerLoader.Load(model, options);
            var reranker = encoder is null || stages is null ? null : new RerankingSearcher(stages.Chosen, encoder, RerankingOptions.ToRerankOptions(options.Reranker));
            PairScorer score = encoder is null ? (_, _) => throw new InvalidOperationException("no reranker") : encoder.Predict;
            batcher = new DynamicBatcher(score, serve.DynamicBatching, serve.MaxBatchPairs, serve.MaxQueuedPairs, metrics);
            return new SearchService(bm25, stages, encoder, reranker, batcher);
        }
        catch
        {
            batcher?.Dispose();
            encoder?.Dispose();
            stages?.Dispose();
            bm25?.Dispose();
            throw;
        }
    }

    /// <summary>The Serve section, misspelt keys and out-of-range values refused with the setting named.</summary>
    internal static ServeOptions ReadServeOptions(IConfiguration configuration, IReadOnlyDictionary<string, string?> typed)
    {
        var merged = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(typed).Build();
        var section = merged.GetSection(ServeOptions.Section);
        SearchHostBuilder.RequireKnownKeys(section, typeof(ServeOptions));
        var properties = typeof(ServeOptions).GetProperties().Where(p => p.CanWrite).ToList();
        var serve = new ServeOptions();
        foreach (var property in properties)
        {
            var child = section.GetSection(property.Name);
            if (child.Value is null) continue;
            try
            {
                property.SetValue(serve, section.GetValue(property.PropertyType, property.Name));
            }
            catch (InvalidOperationException e)
            {
                var kind = property.PropertyType == typeof(bool) ? "true or false" : property.PropertyType == typeof(string) ? "text" : "a whole number";
                throw new InvalidInputException($"invalid settings: {ServeOptions.Section}:{property.Name} must be {kind}, found '{child.Value}'. " +
                    "Check the flags, appsettings.json and the SEARCHRERANK_Serve__* environment variables.", inner: e);
            }
        }
        var problems = new List<string>();
        foreach (var property in properties)
        {
            var value = property.GetValue(serve);
            var name = $"{ServeOptions.Section}:{property.Name}";
            if (property.GetCustomAttribute<RangeAttribute>() is { } range && !range.IsValid(value))
                problems.Add($"{name} must be between {range.Minimum} and {range.Maximum}, found {value}.");
            if (property.GetCustomAttribute<MinLengthAttribute>() is { } min && value is string text && text.Length < min.Length)
                problems.Add($"{name} must be at least {min.Length} characters, found {text.Length}."); // the key itself is never printed
            if (property.GetCustomAttribute<RequiredAttribute>() is not null && string.IsNullOrWhiteSpace(value as string))
                problems.Add($"{name} is required.");
        }
        if (problems.Count > 0)
            throw new InvalidInputException("invalid settings: " + string.Join(" ", problems) +
                " Check the flags, appsettings.json and SEARCHRERANK_Serve__* environment variables.");
        return serve;
    }

    private static void CheckUrls(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parsed = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(parsed, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
                throw new InvalidInputException($"--urls '{url}' is not a listening address; write it as http://127.0.0.1:8080 (scheme, host, port; several separated by ';').");
        }
    }
}
