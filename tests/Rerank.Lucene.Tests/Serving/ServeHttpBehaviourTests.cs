using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;
using Search.Host.Serving;

namespace Rerank.Lucene.Tests.Serving;

/// <summary>
/// The service under load it cannot take, clients that leave, a stop while answering, an API key, and /metrics: with the
/// real tiny encoder behind a gate the test holds, so that "busy" is a state and not a race.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ServeHttpBehaviourTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly string _model = TinyCrossEncoder.Create(seed: 4);
    private readonly ManualResetEventSlim _gate = new(true);
    private readonly SemaphoreSlim _entered = new(0);
    private readonly List<string> _scoredQueries = [];

    public void Dispose()
    {
        _gate.Set();
        Directory.Delete(Path.GetDirectoryName(_model)!, recursive: true);
    }

    private PairScorer Gated(SearchService service, PairScorer inner) => (pairs, ct) =>
    {
        lock (_scoredQueries) _scoredQueries.AddRange(pairs.Select(p => p.Query).Distinct());
        _entered.Release();
        _gate.Wait(TimeSpan.FromMinutes(1));
        return inner(pairs, ct);
    };

    private static object Rerank(string query, int texts) => new { query, texts = Enumerable.Range(0, texts).Select(i => $"text number {i}").ToArray() };

    private static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 2000 && !condition(); i++) await Task.Delay(5);
        Assert.True(condition(), "timed out");
    }

    [Fact]
    public async Task FullQueue_RetryAfter_IsTheQueuedPairsOverTheRecentRate_WithinTheBounds()
    {
        await using var served = await ServedApp.StartAsync(new ServeOptions { MaxQueuedPairs = 5, RetryAfterSeconds = 2, MaxRetryAfterSeconds = 30 }, sample.Index, _model, Gated);
        // One model call of 1 pair in 2 s: 0.5 pairs per second.
        served.Service.Batcher.RecordThroughput(1, TimeSpan.FromSeconds(2));
        _gate.Reset();
        var held = served.Client.PostAsJsonAsync("/rerank", Rerank("held", 4));
        await _entered.WaitAsync();
        using (var refused = await served.Client.PostAsJsonAsync("/rerank", Rerank("refused", 3)))
        {
            // 4 pairs queued / 0.5 pairs per second = 8 s, within [2, 30].
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(8), refused.Headers.RetryAfter?.Delta);
        }
        // Ten calls of 1 pair in 100 s pull the average to about 0.5 * 0.7^10 + 0.01 * (1 - 0.7^10) = 0.0237 pairs/s: 4 / 0.0237 = 169 s, capped at 30.
        for (var i = 0; i < 10; i++) served.Service.Batcher.RecordThroughput(1, TimeSpan.FromSeconds(100));
        using (var refused = await served.Client.PostAsJsonAsync("/rerank", Rerank("refused", 3)))
            Assert.Equal(TimeSpan.FromSeconds(30), refused.Headers.RetryAfter?.Delta);
        _gate.Set();
        using var ok = await held;
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task FullQueue_Is503WithRetryAfter_ThenTheHeldRequestStillSucceeds_AndMetricsCountIt()
    {
        await using var served = await ServedApp.StartAsync(new ServeOptions { MaxQueuedPairs = 5, RetryAfterSeconds = 2 }, sample.Index, _model, Gated);
        _gate.Reset();
        var held = served.Client.PostAsJsonAsync("/rerank", Rerank("held", 4));
        await _entered.WaitAsync();
        using var refused = await served.Client.PostAsJsonAsync("/rerank", Rerank("refused", 3));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("the limit (Serve:MaxQueuedPairs) is 5", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
        _gate.Set();
        using var ok = await held;
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.DoesNotContain("refused", _scoredQueries);

        var metrics = await served.Client.GetStringAsync("/metrics");
        Assert.Contains("searchrerank_queue_rejected_total", metrics);
        Assert.Contains("searchrerank_batch_pairs_bucket", metrics);
        Assert.Contains("searchrerank_queue_pairs", metrics);
        Assert.Contains("http_server_request_duration_seconds_bucket", metrics);
        Assert.Contains("http_route=\"/rerank\"", metrics);
        Assert.Contains("http_response_status_code=\"503\"", metrics);
    }

    [Fact]
    public async Task AClientThatDisconnects_HasItsQueuedWorkDropped()
    {
        await using var served = await ServedApp.StartAsync(new ServeOptions(), sample.Index, _model, Gated);
        _gate.Reset();
        var held = served.Client.PostAsJsonAsync("/rerank", Rerank("held", 2));
        await _entered.WaitAsync();
        using var leave = new CancellationTokenSource();
        var leaving = served.Client.PostAsJsonAsync("/rerank", Rerank("left", 3), leave.Token);
        await Until(() => served.Service.Batcher.Pending == 5);
        leave.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        await Until(() => served.Service.Batcher.Pending == 2); // the server saw the disconnect and dropped the work
        _gate.Set();
        Assert.Equal(HttpStatusCode.OK, (await held).StatusCode);
        Assert.DoesNotContain("left", _scoredQueries);
    }

    [Fact]
    public async Task Stopping_LetsInFlightRequestsFinish_AndRefusesNewConnections()
    {
        var served = await ServedApp.StartAsync(new ServeOptions(), sample.Index, _model, Gated);
        try
        {
            _gate.Reset();
            var inFlight = served.Client.GetAsync("/search?q=bread+dough&k=3");
            await _entered.WaitAsync();
            var stopping = served.App.StopAsync();
            // New connections are refused once the listener has closed (it closes right after the stopping signal).
            await Until(() => served.App.Lifetime.ApplicationStopping.IsCancellationRequested);
            var refused = false;
            for (var i = 0; i < 100 && !refused; i++)
            {
                using var fresh = new HttpClient { BaseAddress = served.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
                try
                {
                    using var _ = await fresh.GetAsync("/health");
                    await Task.Delay(50);
                }
                catch (HttpRequestException)
                {
                    refused = true;
                }
            }
            Assert.True(refused, "the stopping service still accepted new connections after 5 s");
            Assert.False(inFlight.IsCompleted, "the held request ended before the model was released");
            _gate.Set();
            using var answer = await inFlight;
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var body = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
            Assert.True(body["reranked"]!.GetValue<bool>());
            // Only cook-01 holds "bread" or "dough" (grep -iw of the corpus).
            Assert.Equal(["cook-01"], body["hits"]!.AsArray().Select(h => h!["id"]!.GetValue<string>()));
            await stopping;
        }
        finally
        {
            _gate.Set();
            await served.DisposeAsync();
        }
    }

    [Fact]
    public async Task Ready_Answers503OnceTheServiceIsStopping_HealthStaysAlive()
    {
        await using var served = await ServedApp.StartAsync(new ServeOptions(), sample.Index, _model);
        Assert.Equal(HttpStatusCode.OK, (await served.Client.GetAsync("/ready")).StatusCode);
        // What SIGTERM sets off first: the stopping signal, before the listener closes.
        served.App.Lifetime.StopApplication();
        using var ready = await served.Client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("application/problem+json", ready.Content.Headers.ContentType?.MediaType);
        Assert.Contains("stopping", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await served.Client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task WithAnApiKey_EveryEndpointButHealthAndReady_NeedsIt()
    {
        const string key = "a-key-of-sixteen-chars";
        await using var served = await ServedApp.StartAsync(new ServeOptions { ApiKey = key }, sample.Index, _model);
        using var anonymous = await served.Client.GetAsync("/search?q=bread");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("X-API-Key", await anonymous.Content.ReadAsStringAsync());
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/search?q=bread") { Headers = { { "X-API-Key", key + "x" } } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await served.Client.SendAsync(wrong)).StatusCode);
        using var header = new HttpRequestMessage(HttpMethod.Get, "/search?q=bread") { Headers = { { "X-API-Key", key } } };
        Assert.Equal(HttpStatusCode.OK, (await served.Client.SendAsync(header)).StatusCode);
        using var bearer = new HttpRequestMessage(HttpMethod.Post, "/rerank") { Content = JsonContent.Create(Rerank("q", 2)) };
        bearer.Headers.Authorization = new("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await served.Client.SendAsync(bearer)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await served.Client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await served.Client.GetAsync("/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await served.Client.GetAsync("/metrics")).StatusCode);
    }
}
