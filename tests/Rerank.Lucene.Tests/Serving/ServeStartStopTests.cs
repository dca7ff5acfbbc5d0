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
    public async Task PortInUse_AndHttpsWithoutACertificate_Exit2_WithOneLine()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var busy = await CliInvocation.SearchHost("serve", "--index", sample.Index, "--no-rerank", "--urls", $"http://127.0.0.1:{port}");
        Assert.True(busy.ExitCode == 2, busy.ToString());
        Assert.StartsWith($"error: Cannot listen on http://127.0.0.1:{port}: ", busy.Error);
        Assert.DoesNotContain("   at ", busy.Error);

        var https = await CliInvocation.SearchHost("serve", "--index", sample.Index, "--no-rerank", "--urls", "https://127.0.0.1:0");
        Assert.True(https.ExitCode == 2, https.ToString());
        Assert.Contains("error: Cannot listen on https://127.0.0.1:0: HTTPS needs a server certificate", https.Error);
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
