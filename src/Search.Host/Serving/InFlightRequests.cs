namespace Search.Host.Serving;

/// <summary>
/// Counts the requests being answered and lets shutdown give up on them: after Serve:ShutdownSeconds,
/// <see cref="Abandon"/> cancels every one still running (each request's <c>RequestAborted</c> is linked to it),
/// so their handlers stop and answer 503 where the connection still allows.
/// </summary>
internal sealed class InFlightRequests : IDisposable
{
    private readonly CancellationTokenSource _abandon = new();
    private int _count;

    /// <summary>Requests being answered now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Cancelled when shutdown gives up on the requests still running.</summary>
    public CancellationToken Abandoned => _abandon.Token;

    /// <summary>Marks one request started; dispose the result when it ends.</summary>
    public IDisposable Enter()
    {
        Interlocked.Increment(ref _count);
        return new Exit(this);
    }

    /// <summary>Waits until no request is running or <paramref name="grace"/> has passed; returns how many were still running then.</summary>
    public async Task<int> DrainAsync(TimeSpan grace)
    {
        var deadline = DateTime.UtcNow + grace;
        while (Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        return Count;
    }

    /// <summary>Cancels every request still running.</summary>
    public void Abandon() => _abandon.Cancel();

    public void Dispose() => _abandon.Dispose();

    private sealed class Exit(InFlightRequests owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) Interlocked.Decrement(ref owner._count);
        }
    }
}
