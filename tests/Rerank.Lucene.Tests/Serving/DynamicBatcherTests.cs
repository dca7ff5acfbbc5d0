using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Search.Host.Serving;

namespace Rerank.Lucene.Tests.Serving;

/// <summary>
/// The batcher with a stand-in model whose score of a pair is computed here by hand (the document's length), and which
/// can be held inside a call: what it is given shows how requests were coalesced.
/// </summary>
public sealed class DynamicBatcherTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly List<List<(string Query, string Document)>> _calls = [];
    private readonly SemaphoreSlim _entered = new(0);
    private readonly ManualResetEventSlim _release = new(true);
    private CancellationToken _lastToken;

    public void Dispose() => _services.Dispose();

    private ServeMetrics Metrics => new(_services.GetRequiredService<IMeterFactory>());

    private float[] Model(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct)
    {
        lock (_calls) _calls.Add([.. pairs]);
        _lastToken = ct;
        _entered.Release();
        _release.Wait(TimeSpan.FromMinutes(1));
        ct.ThrowIfCancellationRequested();
        return pairs.Select(p => (float)p.Document.Length + p.Query.Length / 1000f).ToArray();
    }

    private static List<(string, string)> Pairs(string query, params int[] lengths) => lengths.Select(n => (query, new string('x', n))).ToList();

    private static float[] Expected(string query, params int[] lengths) => lengths.Select(n => n + query.Length / 1000f).ToArray();

    private static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 2000 && !condition(); i++) await Task.Delay(5);
        Assert.True(condition(), "timed out");
    }

    [Fact]
    public async Task RequestsArrivingWhileTheModelIsBusy_ShareTheNextCall_EachGetsItsOwnScores()
    {
        using var batcher = new DynamicBatcher(Model, enabled: true, maxBatchPairs: 100, capacity: 1000, Metrics);
        _release.Reset();
        var first = batcher.ScoreAsync(Pairs("a", 1, 2), default);
        await _entered.WaitAsync(); // the model holds the first request
        var b = batcher.ScoreAsync(Pairs("bb", 3), default);
        var c = batcher.ScoreAsync(Pairs("ccc", 4, 5, 6), default);
        var d = batcher.ScoreAsync(Pairs("dddd", 7), default);
        await Until(() => batcher.Pending == 7);
        _release.Set();
        Assert.Equal(Expected("a", 1, 2), await first);
        Assert.Equal(Expected("bb", 3), await b);
        Assert.Equal(Expected("ccc", 4, 5, 6), await c);
        Assert.Equal(Expected("dddd", 7), await d);
        // Two model calls: the first request alone, then the three that waited, in arrival order.
        Assert.Equal(2, _calls.Count);
        Assert.Equal([.. Pairs("bb", 3), .. Pairs("ccc", 4, 5, 6), .. Pairs("dddd", 7)], _calls[1]);
        Assert.Equal(0, batcher.Pending);
    }

    [Fact]
    public async Task ACall_TakesNoMoreThanMaxBatchPairs_ButNeverSplitsARequest()
    {
        using var batcher = new DynamicBatcher(Model, enabled: true, maxBatchPairs: 4, capacity: 1000, Metrics);
        _release.Reset();
        var first = batcher.ScoreAsync(Pairs("a", 1), default);
        await _entered.WaitAsync();
        var waiting = new[] { batcher.ScoreAsync(Pairs("b", 1, 2, 3), default), batcher.ScoreAsync(Pairs("c", 1, 2), default), batcher.ScoreAsync(Pairs("d", 9, 9, 9, 9, 9), default) };
        await Until(() => batcher.Pending == 11);
        _release.Set();
        await Task.WhenAll([first, .. waiting]);
        Assert.Equal(new[] { 1, 3, 2, 5 }, _calls.Select(c => c.Count));
        Assert.Equal(Expected("d", 9, 9, 9, 9, 9), await waiting[2]);
    }

    [Fact]
    public async Task AFullQueue_RefusesWithoutQueueing_AndAcceptsAgainOnceDrained()
    {
        using var batcher = new DynamicBatcher(Model, enabled: true, maxBatchPairs: 100, capacity: 5, Metrics);
        _release.Reset();
        var first = batcher.ScoreAsync(Pairs("a", 1, 2, 3), default);
        await _entered.WaitAsync();
        var refused = await Assert.ThrowsAsync<QueueFullException>(() => batcher.ScoreAsync(Pairs("b", 1, 2, 3), default));
        Assert.Contains("the limit (Serve:MaxQueuedPairs) is 5", refused.Message);
        var fits = batcher.ScoreAsync(Pairs("c", 4, 5), default);
        _release.Set();
        await Task.WhenAll(first, fits);
        Assert.Equal(Expected("b", 1, 2, 3), await batcher.ScoreAsync(Pairs("b", 1, 2, 3), default));
        // The refused request reached the model only when sent again.
        Assert.Equal(["a", "c", "b"], _calls.Select(call => call[0].Query));
    }

    [Fact]
    public async Task AWaitingRequestWhoseClientLeft_IsDroppedBeforeTheModelSeesIt()
    {
        using var batcher = new DynamicBatcher(Model, enabled: true, maxBatchPairs: 100, capacity: 1000, Metrics);
        _release.Reset();
        var first = batcher.ScoreAsync(Pairs("a", 1), default);
        await _entered.WaitAsync();
        using var gone = new CancellationTokenSource();
        var leaving = batcher.ScoreAsync(Pairs("gone", 50, 60), gone.Token);
        var staying = batcher.ScoreAsync(Pairs("stay", 2), default);
        await Until(() => batcher.Pending == 4);
        gone.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving); // answered at once, the model still busy
        Assert.Equal(2, batcher.Pending);
        _release.Set();
        Assert.Equal(Expected("stay", 2), await staying);
        await first;
        Assert.DoesNotContain(_calls.SelectMany(c => c), p => p.Query == "gone");
    }

    [Fact]
    public async Task ARunningCall_IsCancelledWhenEveryRequestInItIsGone()
    {
        using var batcher = new DynamicBatcher(Model, enabled: true, maxBatchPairs: 100, capacity: 1000, Metrics);
        _release.Reset();
        using var gone = new CancellationTokenSource();
        var alone = batcher.ScoreAsync(Pairs("a", 1), gone.Token);
        await _entered.WaitAsync();
        gone.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => alone);
        Assert.True(_lastToken.IsCancellationRequested, "the model's token was not cancelled");
        _release.Set();
    }

    [Fact]
    public async Task WithBatchingOff_EachRequestIsItsOwnCall()
    {
        using var batcher = new DynamicBatcher(Model, enabled: false, maxBatchPairs: 100, capacity: 1000, Metrics);
        var results = await Task.WhenAll(Enumerable.Range(1, 6).Select(n => batcher.ScoreAsync(Pairs("q", n, n + 1), default)));
        for (var n = 1; n <= 6; n++) Assert.Equal(Expected("q", n, n + 1), results[n - 1]);
        Assert.Equal(6, _calls.Count);
        Assert.All(_calls, c => Assert.Equal(2, c.Count));
    }
}
