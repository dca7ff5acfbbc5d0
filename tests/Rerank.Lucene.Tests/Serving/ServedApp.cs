using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Rerank.Lucene.Retrieval;
using Search.Host.Cli;
using Search.Host.Hosting;
using Search.Host.Serving;

namespace Rerank.Lucene.Tests.Serving;

/// <summary>
/// The service on real Kestrel, on a free loopback port (127.0.0.1:0), in this process: built by <see cref="ServeApp.Build"/>
/// with chosen settings (for limits and a gated scorer), and an <see cref="HttpClient"/> for it.
/// </summary>
internal sealed class ServedApp : IAsyncDisposable
{
    private ServedApp(WebApplication app, SearchService service, Uri address)
    {
        App = app;
        Service = service;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
    }

    public WebApplication App { get; }

    public SearchService Service { get; }

    public HttpClient Client { get; }

    /// <summary>Opens <paramref name="index"/> (BM25) and <paramref name="model"/> as serve does, with <paramref name="serve"/>'s limits.</summary>
    public static Task<ServedApp> StartAsync(ServeOptions serve, string? index, string? model, Func<Search.Host.Serving.SearchService, PairScorer, PairScorer>? wrap = null,
        SearchHostOptions? options = null)
    {
        options ??= new SearchHostOptions { Index = index, Reranker = new RerankerHostOptions { Model = model } };
        return StartAsync(serve, options, metrics =>
        {
            var opened = ServeCommand.Open(options, serve, model, "bm25", null, new HybridOptions(), metrics);
            if (wrap is null) return opened;
            // Same index and encoder, the batcher's scorer wrapped (e.g. gated) by the test.
            opened.Batcher.Dispose();
            PairScorer inner = opened.Encoder is { } encoder ? encoder.Predict : (_, _) => throw new InvalidOperationException("no encoder");
            var batcher = new DynamicBatcher(wrap(opened, inner), serve.DynamicBatching, serve.MaxBatchPairs, serve.MaxQueuedPairs, metrics);
            return opened.WithBatcher(batcher);
        });
    }

    public static async Task<ServedApp> StartAsync(ServeOptions serve, SearchHostOptions options, Func<ServeMetrics, SearchService> create)
    {
        serve.Urls = "http://127.0.0.1:0";
        var (app, service) = ServeApp.Build(new Dictionary<string, string?>(), verbose: false, serve, options, create);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ServedApp(app, service, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Service.Dispose();
    }
}

/// <summary><c>search-host serve ARGS</c> run in-process as Program.cs runs it, on 127.0.0.1:0; stopped by cancelling its token (as SIGTERM does).</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly StringWriter _errorText = new() { NewLine = "\n" };
    private readonly TextWriter _error;
    private readonly Task<int> _run;

    private ServeProcess(string[] args)
    {
        _error = TextWriter.Synchronized(_errorText);
        var config = new InvocationConfiguration { Output = new StringWriter(), Error = _error, ProcessTerminationTimeout = null };
        _run = Task.Run(() => SearchHostCli.InvokeAsync(["serve", "--urls", "http://127.0.0.1:0", .. args], config, _stop.Token));
    }

    public HttpClient Client { get; private set; } = null!;

    public string Error
    {
        get
        {
            lock (_error) return _errorText.ToString();
        }
    }

    /// <summary>Starts serve and waits for its "Listening on" line.</summary>
    public static async Task<ServeProcess> StartAsync(params string[] args)
    {
        var process = new ServeProcess(args);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var text = process.Error;
            var at = text.IndexOf("Listening on ", StringComparison.Ordinal);
            if (at >= 0)
            {
                var url = text[(at + "Listening on ".Length)..].Split(' ', '\n')[0].TrimEnd(':', ',');
                process.Client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(2) };
                return process;
            }
            if (process._run.IsCompleted)
                throw new InvalidOperationException($"serve exited with {await process._run} before listening:\n{text}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("serve did not start:\n" + text);
            await Task.Delay(50);
        }
    }

    /// <summary>Stops it as SIGTERM does and returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        _stop.Cancel();
        return await _run;
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (!_run.IsCompleted) await StopAsync();
        _stop.Dispose();
    }
}
