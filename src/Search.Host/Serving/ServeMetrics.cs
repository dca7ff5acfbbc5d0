using System.Diagnostics.Metrics;

namespace Search.Host.Serving;

/// <summary>
/// The service's own instruments (meter <see cref="MeterName"/>), exported at /metrics beside ASP.NET Core's request
/// counts and durations: pairs and requests per model call, pairs waiting or running, requests refused for a full queue.
/// </summary>
internal sealed class ServeMetrics
{
    /// <summary>The meter's name, as OpenTelemetry is told to listen to it.</summary>
    public const string MeterName = "SearchRerank.Serve";

    private readonly Histogram<int> _batchPairs;
    private readonly Histogram<int> _batchRequests;
    private readonly Counter<long> _rejected;
    private readonly Meter _meter;

    public ServeMetrics(IMeterFactory factory)
    {
        _meter = factory.Create(MeterName);
        _batchPairs = _meter.CreateHistogram<int>("searchrerank.batch.pairs", "{pair}", "(query, document) pairs per model call",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
        _batchRequests = _meter.CreateHistogram<int>("searchrerank.batch.requests", "{request}", "requests whose pairs one model call scored",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });
        _rejected = _meter.CreateCounter<long>("searchrerank.queue.rejected", "{request}", "requests refused with 503 because the scoring queue was full");
    }

    /// <summary>Reports the pairs waiting or running as an observable gauge.</summary>
    public void ObservePending(Func<int> pending) =>
        _meter.CreateObservableGauge("searchrerank.queue.pairs", pending, "{pair}", "pairs admitted to the scoring queue and not yet answered");

    public void RecordBatch(int pairs, int requests)
    {
        _batchPairs.Record(pairs);
        _batchRequests.Record(requests);
    }

    public void RecordRejected() => _rejected.Add(1);
}
