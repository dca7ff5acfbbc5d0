using System.Collections.Concurrent;

namespace Search.Host.Serving;

/// <summary>Scores (query, document) pairs; result i belongs to pair i. Blocking; called from one thread at a time by the batcher.</summary>
/// <param name="pairs">The pairs.</param>
/// <param name="ct">Cancels between forward passes.</param>
internal delegate float[] PairScorer(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct);

/// <summary>The queue already holds <see cref="DynamicBatcher.Capacity"/> pairs: the request is refused (503 + Retry-After).</summary>
internal sealed class QueueFullException(int queued, int asked, int capacity)
    : Exception($"The scoring queue is full: {queued} pairs are waiting or running, this request adds {asked}, and the limit (Serve:MaxQueuedPairs) is {capacity}. Retry later.")
{
    public int Queued { get; } = queued;
}

/// <summary>
/// Dynamic batching, as text-embeddings-inference does it: the pairs of concurrent requests wait in one bounded
/// queue; a single worker takes everything waiting (up to <c>maxBatchPairs</c>, never splitting a request) into one
/// model call whenever the model is free, so requests that arrive while the model is busy share the next call's
/// length-sorted batches instead of each padding their own partial batch. Nothing waits on a timer: an idle
/// service answers a lone request at once. A request whose token is cancelled (the client went away) is dropped
/// if still waiting; a running call is cancelled between forward passes once every request in it is cancelled.
/// With <c>enabled: false</c> each request calls the model itself (calls are serialised on the model), under the same bound.
/// </summary>
internal sealed class DynamicBatcher : IDisposable
{
    private readonly PairScorer _score;
    private readonly bool _enabled;
    private readonly int _maxBatchPairs;
    private readonly ServeMetrics _metrics;
    private readonly ConcurrentQueue<Work> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread? _worker;
    private int _pending; // pairs admitted and not yet answered

    public DynamicBatcher(PairScorer score, bool enabled, int maxBatchPairs, int capacity, ServeMetrics metrics)
    {
        _score = score;
        _enabled = enabled;
        _maxBatchPairs = maxBatchPairs;
        Capacity = capacity;
        _metrics = metrics;
        _metrics.ObservePending(() => Volatile.Read(ref _pending));
        if (enabled)
        {
            _worker = new Thread(Loop) { IsBackground = true, Name = "rerank-batcher" };
            _worker.Start();
        }
    }

    /// <summary>Most pairs admitted at once.</summary>
    public int Capacity { get; }

    /// <summary>Whether pairs of concurrent requests are coalesced.</summary>
    public bool Enabled => _enabled;

    /// <summary>Pairs admitted and not yet answered.</summary>
    public int Pending => Volatile.Read(ref _pending);

    private readonly Lock _rateLock = new();
    private double _pairsPerSecond; // 0 until a model call has finished

    /// <summary>
    /// Recent model throughput in pairs per second: an exponentially weighted average (weight 0.3 on the newest call)
    /// of each model call's pairs divided by its seconds; null before the first call finishes.
    /// </summary>
    public double? PairsPerSecond
    {
        get
        {
            lock (_rateLock) return _pairsPerSecond > 0 ? _pairsPerSecond : null;
        }
    }

    /// <summary>Adds one finished model call of <paramref name="pairs"/> pairs that took <paramref name="elapsed"/> to <see cref="PairsPerSecond"/>.</summary>
    internal void RecordThroughput(int pairs, TimeSpan elapsed)
    {
        if (pairs <= 0 || elapsed <= TimeSpan.Zero) return;
        var rate = pairs / elapsed.TotalSeconds;
        lock (_rateLock) _pairsPerSecond = _pairsPerSecond > 0 ? 0.7 * _pairsPerSecond + 0.3 * rate : rate;
    }

    /// <summary>
    /// Seconds a refused client should wait: the queued pairs divided by <see cref="PairsPerSecond"/>, rounded up, within
    /// [<paramref name="least"/>, <paramref name="most"/>]; <paramref name="least"/> before any model call has finished.
    /// </summary>
    public int RetryAfterSeconds(int least, int most)
    {
        if (PairsPerSecond is not { } rate) return least;
        var seconds = Math.Ceiling(Pending / rate);
        return (int)Math.Clamp(seconds, least, Math.Max(least, most));
    }

    /// <summary>Scores <paramref name="pairs"/> (one request's).</summary>
    /// <exception cref="QueueFullException">Admitting them would exceed <see cref="Capacity"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled before the scores came.</exception>
    public async Task<float[]> ScoreAsync(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct)
    {
        if (pairs.Count == 0) return [];
        Admit(pairs.Count);
        try
        {
            if (!_enabled)
            {
                // Batching off: this request's pairs alone, on a pool thread (the model serialises calls).
                _metrics.RecordBatch(pairs.Count, 1);
                return await Task.Run(() =>
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    var scores = _score(pairs, ct);
                    RecordThroughput(pairs.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                    return scores;
                }, ct);
            }
            var work = new Work(pairs, ct);
            _queue.Enqueue(work);
            _signal.Release();
            using (ct.Register(static w => ((Work)w!).Cancel(), work))
                return await work.Result.Task;
        }
        finally
        {
            Interlocked.Add(ref _pending, -pairs.Count);
        }
    }

    private void Admit(int count)
    {
        while (true)
        {
            var current = Volatile.Read(ref _pending);
            // A request larger than the whole queue still runs when nothing else waits; it is cut by MaxTexts anyway.
            if (current > 0 && current + count > Capacity)
            {
                _metrics.RecordRejected();
                throw new QueueFullException(current, count, Capacity);
            }
            if (Interlocked.CompareExchange(ref _pending, current + count, current) == current) return;
        }
    }

    private void Loop()
    {
        var batch = new List<Work>();
        while (true)
        {
            try
            {
                _signal.Wait(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            batch.Clear();
            var pairs = 0;
            var taken = 0;
            // Take what waits, in arrival order, up to the pair budget; the first one always fits.
            while (_queue.TryPeek(out var next))
            {
                if (batch.Count > 0 && pairs + next.Pairs.Count > _maxBatchPairs) break;
                _queue.TryDequeue(out _);
                taken++;
                if (next.IsCancelled) continue; // answered already by its cancellation
                batch.Add(next);
                pairs += next.Pairs.Count;
            }
            // Each item released the signal once: consume the releases of the items taken beyond the one waited for
            // (a release not yet made only wakes the loop once more, to an empty queue).
            for (var i = 1; i < taken; i++) _signal.Wait(0);
            if (batch.Count == 0) continue;
            Run(batch, pairs);
        }
        while (_queue.TryDequeue(out var left)) left.Result.TrySetException(new ObjectDisposedException(nameof(DynamicBatcher)));
    }

    private void Run(List<Work> batch, int pairCount)
    {
        var all = new List<(string, string)>(pairCount);
        foreach (var w in batch) all.AddRange(w.Pairs);
        using var allGone = new CancellationTokenSource();
        var live = batch.Count;
        var registrations = batch.Select(w => w.Token.Register(() =>
        {
            if (Interlocked.Decrement(ref live) == 0) allGone.Cancel();
        })).ToList();
        try
        {
            _metrics.RecordBatch(pairCount, batch.Count);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var scores = _score(all, allGone.Token);
            RecordThroughput(all.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            var offset = 0;
            foreach (var w in batch)
            {
                w.Result.TrySetResult(scores.AsSpan(offset, w.Pairs.Count).ToArray());
                offset += w.Pairs.Count;
            }
        }
        catch (OperationCanceledException) when (allGone.IsCancellationRequested)
        {
            foreach (var w in batch) w.Result.TrySetCanceled(w.Token);
        }
        catch (Exception e)
        {
            foreach (var w in batch) w.Result.TrySetException(e);
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _worker?.Join();
        _stop.Dispose();
        _signal.Dispose();
    }

    private sealed class Work(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken token)
    {
        private int _cancelled;

        public IReadOnlyList<(string Query, string Document)> Pairs { get; } = pairs;

        public CancellationToken Token { get; } = token;

        public TaskCompletionSource<float[]> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsCancelled => Volatile.Read(ref _cancelled) == 1;

        public void Cancel()
        {
            Volatile.Write(ref _cancelled, 1);
            // Still waiting: answer at once; the worker skips it. Already running: the batch's own registration handles it.
            Result.TrySetCanceled(Token);
        }
    }
}
