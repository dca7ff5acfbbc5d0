using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Rerank.Lucene;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Search.Host.Hosting;

namespace Search.Host.Serving;

/// <summary>
/// The web application behind <c>search-host serve</c>: Kestrel on <see cref="ServeOptions.Urls"/>, configured like every other
/// command's host (<see cref="SearchHostBuilder.Configure"/>), with the endpoints /search, /rerank, /health, /ready, /metrics,
/// /openapi/v1.json and the search page at /. Every error is RFC 7807 problem+json; unexpected ones say no more than "internal error".
/// </summary>
internal static class ServeApp
{
    /// <summary>Builds the application; <paramref name="createService"/> opens the index and model once the metrics exist.</summary>
    public static (WebApplication App, SearchService Service) Build(IReadOnlyDictionary<string, string?> settings, bool verbose,
        ServeOptions serve, SearchHostOptions options, Func<ServeMetrics, SearchService> createService)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        SearchHostBuilder.Configure(builder, settings, verbose);
        // A failed start (port in use, no certificate) is reported by the command in one line; the host's own error log of it
        // carries the framework's stack trace, so it is shown only with --verbose.
        if (!verbose) builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = serve.MaxRequestBytes;
        });
        builder.WebHost.UseUrls(serve.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Services.AddRouting();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(OpenApiBodies.Add);
        builder.Services.AddSingleton<ServeMetrics>();
        builder.Services.AddSingleton<InFlightRequests>();
        // The host's own limit leaves room after Serve:ShutdownSeconds for the abandoned requests' 503s (StopAsync below).
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(serve.ShutdownSeconds) + AbandonGrace);
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddAspNetCoreInstrumentation()
            .AddMeter(ServeMetrics.MeterName)
            .AddPrometheusExporter());

        var app = builder.Build();
        var service = createService(app.Services.GetRequiredService<ServeMetrics>());
        try
        {
            Map(app, service, serve, options);
        }
        catch
        {
            service.Dispose();
            throw;
        }
        return (app, service);
    }

    private static void Map(WebApplication app, SearchService service, ServeOptions serve, SearchHostOptions options)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("search-host.serve");
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();

        // Anything unexpected: 500 without details (the log has them), never a stack trace on the wire.
        app.UseExceptionHandler(error => error.Run(context =>
            Problem(500, "Internal error", "The server failed to answer; its log says why. This is a bug, not a problem with the request.").ExecuteAsync(context)));

        // Every request is counted while it runs, and its RequestAborted also fires when shutdown gives up on it.
        var inFlight = app.Services.GetRequiredService<InFlightRequests>();
        app.Use(async (context, next) =>
        {
            using var _ = inFlight.Enter();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, inFlight.Abandoned);
            context.RequestAborted = linked.Token;
            await next(context);
        });

        if (serve.ApiKey is { } key)
        {
            var expected = Encoding.UTF8.GetBytes(key);
            app.Use(async (context, next) =>
            {
                var path = context.Request.Path;
                if (path.StartsWithSegments("/health") || path.StartsWithSegments("/ready") || Authorised(context.Request, expected))
                {
                    await next(context);
                    return;
                }
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Problem(401, "API key required",
                    $"Send the service's API key in the {ServeOptions.ApiKeyHeader} header or as Authorization: Bearer KEY.").ExecuteAsync(context);
            });
        }

        app.MapOpenApi();
        app.MapPrometheusScrapingEndpoint("/metrics");

        app.MapMethods("/health", GetOrHead, () => Results.Json(new { status = "alive" }))
            .WithSummary("Liveness: the process answers.");
        app.MapMethods("/ready", GetOrHead, () => lifetime.ApplicationStopping.IsCancellationRequested
                ? Problem(503, "Shutting down", "The service is stopping; send requests to another replica.")
                : service.Unusable() is { } unusable
                ? Problem(503, "Restart needed", unusable)
                : Results.Json(new
                {
                    status = "ready",
                    index = service.Index?.IndexDirectory,
                    documents = service.Index?.DocumentCount,
                    retrieval = service.RetrievalDescription,
                    reranker = service.Encoder?.ModelPath,
                    reranker_engine = service.Encoder is { } encoder ? InferenceEngineSelection.Name(encoder.Engine) : null,
                    reranker_precision = service.Encoder is { } scored ? InferenceEngineSelection.Name(scored.Precision) : null,
                    dynamic_batching = service.Batcher.Enabled,
                    top = options.Top,
                    max_top = serve.MaxTop,
                }))
            .WithSummary("Readiness: index and model are loaded and the service is not stopping (503 then).")
            .ProducesProblem(503);

        app.MapMethods("/search", GetOrHead, Handler(context => Answer(context, log, serve, service.Batcher, async () =>
            {
                var query = context.Request.Query;
                CheckQueryString(context.Request.QueryString.Value);
                foreach (var name in query.Keys)
                {
                    if (name is not ("q" or "k" or "offset" or "rerank" or "highlight" or "filter"))
                        throw new RequestProblem(422, "Unknown parameter", $"Unknown query parameter '{name}'. Known: q (the query), k (hits), offset (hits to skip), rerank (true/false), highlight (true/false), filter (repeatable, as search --filter).");
                    if (query[name].Count > 1 && name != "filter")
                        throw new RequestProblem(400, "Repeated parameter", $"Query parameter '{name}' is given {query[name].Count} times; give it once.");
                }
                var q = query["q"].ToString();
                return await Search(service, serve, options, q, QueryInt(query, "k"), QueryBool(query, "rerank"), Filter(query["filter"].Select(f => f ?? "")),
                    QueryInt(query, "offset"), QueryBool(query, "highlight") ?? false, context.RequestAborted);
            })))
            .WithSummary("Search the index: GET /search?q=QUERY&k=10&offset=0&rerank=true&highlight=false. Hits as `search-host search --json` prints them.")
            .Produces<SearchResponse>().ProducesProblem(422).ProducesProblem(503);

        app.MapPost("/search", Handler(context => Answer(context, log, serve, service.Batcher, async () =>
            {
                // A POST is read from its body only: parameters in the URL as well would be ignored, so they are refused.
                if (context.Request.QueryString.HasValue)
                    throw new RequestProblem(422, "Parameters in the URL", "POST /search takes its parameters in the JSON body only; move them there from the URL, or use GET /search?q=...");
                var body = await RequestReader.ReadObjectAsync(context.Request, serve, context.RequestAborted);
                RequestReader.RefuseUnknown(body, "query", "k", "offset", "rerank", "highlight", "filter");
                var q = RequestReader.String(body, "query");
                var k = RequestReader.Int(body, "k");
                bool? rerank = body.TryGetProperty("rerank", out var r) && r.ValueKind != JsonValueKind.Null ? RequestReader.Bool(body, "rerank", true) : null;
                var conditions = body.TryGetProperty("filter", out var f) && f.ValueKind != JsonValueKind.Null ? RequestReader.Strings(body, "filter") : [];
                return await Search(service, serve, options, q, k, rerank, Filter(conditions),
                    RequestReader.Int(body, "offset"), RequestReader.Bool(body, "highlight", false), context.RequestAborted);
            })))
            .WithSummary("Search the index: {\"query\": \"...\", \"k\": 10, \"offset\": 0, \"rerank\": true, \"highlight\": false}.")
            .WithDescription("Body (application/json): query (string, required), k (hits; default SearchHost:Top), offset (hits to skip, as search --offset; default 0; " +
                "k + offset at most Serve:MaxTop), rerank (false for the first stage alone), highlight (true: each hit's best passages, as search --highlight --json), filter (conditions, as search --filter).")
            .Produces<SearchResponse>().ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(503);

        app.MapPost("/rerank", Handler(context => Answer(context, log, serve, service.Batcher, async () =>
            {
                var body = await ReadRerankBody(context, service, serve, "query", "texts", "raw_scores", "return_text", "truncate", "truncation_direction", "top_n");
                var query = RequestReader.String(body, "query");
                CheckQuery(query, serve, RerankQueryHint);
                var texts = Texts(RequestReader.Strings(body, "texts"), "texts", serve);
                if (body.TryGetProperty("truncation_direction", out var direction) && direction.ValueKind != JsonValueKind.Null
                    && !string.Equals(direction.ValueKind == JsonValueKind.String ? direction.GetString() : null, "right", StringComparison.OrdinalIgnoreCase))
                    throw new RequestProblem(422, "Unsupported truncation", "truncation_direction must be \"Right\": pairs are cut longest-first from the end.");
                var results = await service.RerankAsync(query, texts,
                    RequestReader.Bool(body, "raw_scores", false), RequestReader.Bool(body, "return_text", false), RequestReader.Bool(body, "truncate", serve.Truncate),
                    context.RequestAborted);
                return Results.Json(results.Take(TopN(body, texts.Count)).ToList());
            })))
            .WithSummary("Score texts against a query, as text-embeddings-inference's /rerank: [{\"index\": 0, \"score\": 0.93}, ...] best first.")
            .WithDescription("Body (application/json): query (string), texts (strings, at most Serve:MaxTexts), raw_scores (false: sigmoid; true: logits), " +
                "return_text (echo each text), truncate (default Serve:Truncate, true: pairs over the model's max length are cut longest-first; false, TEI's default: they are refused with 413), " +
                "truncation_direction (\"Right\" only), top_n (only the best n; Elasticsearch's hugging_face service sends it).")
            .Produces<List<RerankResult>>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(503);

        app.MapPost("/v1/rerank", Handler(context => Answer(context, log, serve, service.Batcher, async () =>
            {
                var body = await ReadRerankBody(context, service, serve, "query", "documents", "top_n", "return_documents", "model", "max_chunks_per_doc");
                // Cohere's clients always send "model"; this service serves the one model it was started with, so the name is read and not used.
                RequestReader.OptionalString(body, "model");
                if (body.TryGetProperty("max_chunks_per_doc", out var chunks) && chunks.ValueKind != JsonValueKind.Null)
                    throw new RequestProblem(422, "Unsupported field",
                        "max_chunks_per_doc is not supported: each document is scored as one pair, cut longest-first to the model's max length. Drop the field.");
                var query = RequestReader.String(body, "query");
                CheckQuery(query, serve, RerankQueryHint);
                var documents = Texts(RequestReader.Documents(body, "documents"), "documents", serve);
                var results = await service.RerankAsync(query, documents, rawScores: false, returnText: false, truncate: true, context.RequestAborted);
                var returnDocuments = RequestReader.Bool(body, "return_documents", false);
                return Results.Json(new CohereRerankResponse(results.Take(TopN(body, documents.Count))
                    .Select(r => new CohereRerankResult(r.Index, r.Score, returnDocuments ? new CohereDocument(documents[r.Index]) : null)).ToList()));
            })))
            .WithSummary("Score documents against a query in the shape Cohere's rerank API uses: {\"results\": [{\"index\": 0, \"relevance_score\": 0.93}, ...]} best first.")
            .WithDescription("Body (application/json): query (string), documents (strings or {\"text\": ...} objects, at most Serve:MaxTexts), top_n (only the best n), " +
                "return_documents (echo each document), model (accepted and not used: the service scores with the model it was started with; a string when given), " +
                "max_chunks_per_doc (refused with 422: documents are not chunked). Pairs over the model's max length are cut longest-first. OpenSearch's connector.pre_process.cohere.rerank and " +
                "connector.post_process.cohere.rerank read and write this shape (docs/SCALING.md).")
            .Produces<CohereRerankResponse>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(503);

        app.MapMethods("/", GetOrHead, () => Results.Content(SearchPage.Html, "text/html; charset=utf-8"))
            .WithSummary("The search page.").ExcludeFromDescription();
        app.Use(async (context, next) =>
        {
            // The page loads nothing from elsewhere: the policy forbids it, so the browser test proves it.
            if (context.Request.Path == "/")
                context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";
            await next(context);
        });
        var methods = new Dictionary<string, string> { ["/search"] = "GET, HEAD, POST", ["/rerank"] = "POST", ["/v1/rerank"] = "POST", ["/health"] = "GET, HEAD", ["/ready"] = "GET, HEAD", ["/metrics"] = "GET", ["/"] = "GET, HEAD" };
        app.MapFallback((HttpContext context) =>
        {
            if (methods.TryGetValue(context.Request.Path.Value?.TrimEnd('/') is { Length: > 0 } p ? p : "/", out var allowed))
            {
                context.Response.Headers.Allow = allowed;
                return Problem(405, "Method not allowed", $"{context.Request.Path} answers {allowed}, not {context.Request.Method}.");
            }
            return Problem(404, "Not found", $"No endpoint {context.Request.Method} {context.Request.Path}. See /openapi/v1.json for the endpoints.");
        });
    }

    /// <summary>GET endpoints answer HEAD too (load-balancer probes); Kestrel sends the headers without the body.</summary>
    private static readonly string[] GetOrHead = ["GET", "HEAD"];

    private static async Task<JsonElement> ReadRerankBody(HttpContext context, SearchService service, ServeOptions serve, params string[] fields)
    {
        if (service.Encoder is null)
            throw new RequestProblem(404, "No reranker", "This service was started without a cross-encoder (--no-rerank); start it with --reranker DIR.");
        var body = await RequestReader.ReadObjectAsync(context.Request, serve, context.RequestAborted);
        RequestReader.RefuseUnknown(body, fields);
        return body;
    }

    private static List<string> Texts(List<string> texts, string field, ServeOptions serve)
    {
        if (texts.Count == 0) throw new RequestProblem(422, "Nothing to score", $"Field '{field}' is empty; send at least one text to score.");
        if (texts.Count > serve.MaxTexts)
            throw new RequestProblem(413, "Too many texts", $"{texts.Count} {field}; the limit (Serve:MaxTexts) is {serve.MaxTexts}. Split the request.");
        return texts;
    }

    private static int TopN(JsonElement body, int count) => RequestReader.Int(body, "top_n") switch
    {
        null => count,
        < 1 and var n => throw new RequestProblem(422, "top_n out of range", $"top_n must be at least 1, found {n}."),
        var n => Math.Min(n.Value, count),
    };

    /// <summary>
    /// The filter of a request (conditions as <c>search --filter</c> takes them, all of which must hold), or null for none;
    /// a condition that does not parse is a 422 naming it and the supported operators.
    /// </summary>
    private static DocumentFilter? Filter(IEnumerable<string> conditions)
    {
        var list = conditions.ToList();
        if (list.Count == 0) return null;
        try
        {
            return DocumentFilter.Parse(list);
        }
        catch (InvalidInputException e)
        {
            throw new RequestProblem(422, "Bad filter", e.Message);
        }
    }

    /// <summary>An optional whole-number query parameter: null when absent, 422 naming it when not a whole number.</summary>
    private static int? QueryInt(IQueryCollection query, string name)
    {
        if (!query.ContainsKey(name)) return null;
        if (!int.TryParse(query[name], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
            throw new RequestProblem(422, "Wrong type", $"Parameter '{name}' must be a whole number, found '{query[name]}'.");
        return parsed;
    }

    /// <summary>An optional true/false query parameter: null when absent, 422 naming it otherwise.</summary>
    private static bool? QueryBool(IQueryCollection query, string name) => !query.ContainsKey(name) ? null : query[name].ToString() switch
    {
        "true" => true,
        "false" => false,
        var other => throw new RequestProblem(422, "Wrong type", $"Parameter '{name}' must be true or false, found '{other}'."),
    };

    private static async Task<IResult> Search(SearchService service, ServeOptions serve, SearchHostOptions options, string q, int? k, bool? rerank, DocumentFilter? filter,
        int? offset, bool highlight, CancellationToken ct)
    {
        if (service.Retrieval is null)
            throw new RequestProblem(404, "No index", "This service was started without --index, so it answers /rerank only; start it with --index DIR to search.");
        CheckQuery(q, serve, "GET /search?q=... or \"query\" in the body");
        var top = k ?? options.Top;
        if (top < 1 || top > serve.MaxTop)
            throw new RequestProblem(422, "k out of range", $"k must be between 1 and {serve.MaxTop} (Serve:MaxTop), found {top}.");
        // As search --offset, at least 0; the page is the top k + offset less the first offset, so their sum is the depth searched, bounded by Serve:MaxTop.
        var skip = offset ?? 0;
        if (skip < 0)
            throw new RequestProblem(422, "offset out of range", $"offset must be 0 or more (hits to skip), found {skip}.");
        if ((long)skip + top > serve.MaxTop)
            throw new RequestProblem(422, "offset out of range",
                $"offset + k must be at most {serve.MaxTop} (Serve:MaxTop, the deepest hit a request may reach), found {skip} + {top} = {(long)skip + top}. Lower offset or k.");
        if (rerank == true && service.Reranker is null)
            throw new RequestProblem(422, "No reranker", "rerank=true, but this service was started without a cross-encoder; drop rerank or start it with --reranker DIR.");
        // A filter on a field the index does not keep, or a value of the wrong type for it, is an InvalidInputException: 422 naming the field.
        return Results.Json(await service.SearchAsync(q, top, rerank ?? true, filter, skip, highlight, ct));
    }

    private const string RerankQueryHint = "\"query\" in the body, the text the texts are scored against";

    private static void CheckQuery(string query, ServeOptions serve, string where)
    {
        if (string.IsNullOrWhiteSpace(query))
            throw new RequestProblem(422, "Empty query", $"The query is empty; send some words ({where}).");
        if (query.Length > serve.MaxQueryLength)
            throw new RequestProblem(422, "Query too long", $"The query is {query.Length} characters; the limit (Serve:MaxQueryLength) is {serve.MaxQueryLength}. Shorten it.");
    }

    /// <summary>
    /// Refuses a query string whose percent-encoding is broken (a '%' not followed by two hex digits) or decodes to bytes that are
    /// not UTF-8 (the framework would search U+FFFD or the raw characters instead): 400 naming the parameter.
    /// </summary>
    internal static void CheckQueryString(string? raw)
    {
        if (string.IsNullOrEmpty(raw)) return;
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        foreach (var part in raw.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var rawName = equals < 0 ? part : part[..equals];
            var name = Decode(rawName, strict) ?? rawName;
            foreach (var piece in equals < 0 ? [rawName] : new[] { rawName, part[(equals + 1)..] })
            {
                if (Decode(piece, strict) is null)
                    throw new RequestProblem(400, "Invalid percent-encoding",
                        $"Query parameter '{name}' is not valid percent-encoded UTF-8 ('{piece}'). Encode the text as UTF-8, then percent-encode it (encodeURIComponent does both).");
            }
        }
    }

    private static string? Decode(string piece, UTF8Encoding strict)
    {
        var bytes = new List<byte>(piece.Length);
        for (var i = 0; i < piece.Length; i++)
        {
            var c = piece[i];
            if (c == '%')
            {
                if (i + 2 >= piece.Length || !Uri.IsHexDigit(piece[i + 1]) || !Uri.IsHexDigit(piece[i + 2])) return null;
                bytes.Add((byte)Convert.ToInt32(piece.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c == '+') bytes.Add((byte)' ');
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        try
        {
            return strict.GetString(bytes.ToArray());
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>A route handler whose result is written (a bare HttpContext lambda would be a RequestDelegate, its result dropped).</summary>
    private static Delegate Handler(Func<HttpContext, Task<IResult>> handler) => handler;

    /// <summary>Runs a handler and turns known failures into problems.</summary>
    private static async Task<IResult> Answer(HttpContext context, ILogger log, ServeOptions serve, DynamicBatcher batcher, Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (RequestProblem p)
        {
            return Problem(p.Status, p.Title, p.Message);
        }
        catch (EmbedderReloadException e)
        {
            // The index was rebuilt with vectors this process cannot embed queries for: nothing the client can fix.
            return Problem(503, "Restart needed", e.Message);
        }
        catch (InvalidInputException e)
        {
            return Problem(422, "Invalid input", e.Message);
        }
        catch (QueueFullException e)
        {
            context.Response.Headers.RetryAfter = batcher.RetryAfterSeconds(serve.RetryAfterSeconds, serve.MaxRetryAfterSeconds).ToString(CultureInfo.InvariantCulture);
            return Problem(503, "Busy", e.Message);
        }
        catch (OperationCanceledException) when (context.RequestServices.GetRequiredService<InFlightRequests>().Abandoned.IsCancellationRequested)
        {
            return Problem(503, "Shutting down", "The service stopped before this request finished (Serve:ShutdownSeconds ran out); send it to another replica.");
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; its queued work was dropped. Nobody reads this answer.
            log.LogDebug("{Method} {Path}: client disconnected; its work was cancelled", context.Request.Method, context.Request.Path);
            return Results.StatusCode(499);
        }
    }

    private static bool Authorised(HttpRequest request, byte[] expected)
    {
        string? given = request.Headers[ServeOptions.ApiKeyHeader];
        if (given is null && request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            given = auth["Bearer ".Length..].Trim();
        return given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);
    }

    /// <summary>An RFC 7807 answer: application/problem+json with type, title, status and a detail that says what to fix.</summary>
    public static IResult Problem(int status, string title, string detail) =>
        Results.Problem(new ProblemDetails { Status = status, Title = title, Detail = detail, Type = $"https://httpstatuses.io/{status}" });

    /// <summary>How long abandoned requests get, after Serve:ShutdownSeconds, to write their 503 before connections are cut.</summary>
    internal static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Stops taking requests, gives the in-flight ones Serve:ShutdownSeconds to finish, then cancels those still running
    /// (they answer 503 where the connection allows; Kestrel cuts what is left <see cref="AbandonGrace"/> later).
    /// Returns how many requests did not finish in time.
    /// </summary>
    public static async Task<int> StopAsync(WebApplication app, ServeOptions serve)
    {
        var inFlight = app.Services.GetRequiredService<InFlightRequests>();
        using var hard = new CancellationTokenSource(TimeSpan.FromSeconds(serve.ShutdownSeconds) + AbandonGrace);
        var stopping = app.StopAsync(hard.Token);
        var unfinished = await inFlight.DrainAsync(TimeSpan.FromSeconds(serve.ShutdownSeconds));
        if (unfinished > 0) inFlight.Abandon();
        await stopping;
        return unfinished;
    }

    /// <summary>True when every URL binds a loopback address (127.0.0.0/8, ::1 or localhost).</summary>
    public static bool LoopbackOnly(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(url =>
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            return false;
        return uri.Host == "localhost" || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    });
}
