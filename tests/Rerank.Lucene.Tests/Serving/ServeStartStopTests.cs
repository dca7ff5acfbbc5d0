using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;
using Search.Host.Serving;

namespace Rerank.Lucene.Tests.Serving;

/// <summary>
/// Start-up refuses settings that would make every request fail; shutdown says how many requests it gave up on
/// and those get a 503 instead of a silent cut.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ServeStartStopTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly string _model = TinyCrossEncoder.Create(seed: 5);
    private readonly ManualResetEventSlim _gate = new(false);
    private readonly SemaphoreSlim _entered = new(0);

    public void Dispose()
    {
        _gate.Set();
        Directory.Delete(Path.GetDirectoryName(_model)!, recursive: true);
    }

    // Holds every model call until the gate opens or the call is cancelled (as the encoder stops between batches).
    private PairScorer Held(SearchService service, PairScorer inner) => (pairs, ct) =>
    {
        _entered.Release();
        _gate.Wait(TimeSpan.FromMinutes(1), ct);
        return inner(pairs, ct);
    };

    [Fact]
    public async Task ShutdownSecondsRunningOut_AbortsTheHeldRequestWith503_AndReportsOneUnfinished()
    {
        var serve = new ServeOptions { ShutdownSeconds = 1 };
        await using var served = await ServedApp.StartAsync(serve, sample.Index, _model, Held);
        var held = served.Client.PostAsJsonAsync("/rerank", new { query = "held", texts = new[] { "one", "two" } });
        await _entered.WaitAsync(TimeSpan.FromMinutes(1));
        var unfinished = await ServeApp.StopAsync(served.App, serve);
        Assert.Equal(1, unfinished);
        using var response = await held;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Serve:ShutdownSeconds ran out", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task ShutdownWithNothingRunning_ReportsNoneUnfinished()
    {
        var serve = new ServeOptions { ShutdownSeconds = 1 };
        await using var served = await ServedApp.StartAsync(serve, sample.Index, _model);
        Assert.Equal("alive", JsonNode.Parse(await served.Client.GetStringAsync("/health"))!["status"]!.GetValue<string>());
        Assert.Equal(0, await ServeApp.StopAsync(served.App, serve));
    }

    [Fact]
    public async Task TopAboveMaxTop_IsRefusedAtStart_WithExit2_NamingBothSettings()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServeProcess.StartAsync("--index", sample.Index, "--no-rerank", "--top", "101"));
        Assert.Contains("serve exited with 2", e.Message);
        Assert.Contains("--top (SearchHost:Top) is 101, above Serve:MaxTop (100)", e.Message);
        Assert.DoesNotContain("   at ", e.Message);
    }
}
