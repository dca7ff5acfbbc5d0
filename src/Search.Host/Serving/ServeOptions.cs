using System.ComponentModel.DataAnnotations;

namespace Search.Host.Serving;

/// <summary>
/// Settings of <c>search-host serve</c>, bound from the <c>Serve</c> section of <c>appsettings.json</c>, then
/// environment variables (<c>SEARCHRERANK_Serve__MaxTexts=64</c>), then flags. Limits are per request.
/// </summary>
public sealed class ServeOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Serve";

    /// <summary>The header that carries the API key (<c>Authorization: Bearer KEY</c> is accepted too).</summary>
    public const string ApiKeyHeader = "X-API-Key";

    /// <summary>Where to listen, separated by ';'. Default loopback only: http://127.0.0.1:8080.</summary>
    [Required]
    public string Urls { get; set; } = "http://127.0.0.1:8080";

    /// <summary>When set, every endpoint but /health and /ready requires this key (X-API-Key or Authorization: Bearer).</summary>
    [MinLength(16, ErrorMessage = "{0} must be at least 16 characters.")]
    public string? ApiKey { get; set; }

    /// <summary>Coalesce the pairs of concurrent requests into shared model calls. Default true.</summary>
    public bool DynamicBatching { get; set; } = true;

    /// <summary>Most pairs one coalesced model call takes (it is cut into --batch-size forward passes). Default 256.</summary>
    [Range(1, 100_000)]
    public int MaxBatchPairs { get; set; } = 256;

    /// <summary>Most pairs waiting or running at once; beyond it requests are answered 503 with Retry-After. Default 2048.</summary>
    [Range(1, 10_000_000)]
    public int MaxQueuedPairs { get; set; } = 2048;

    /// <summary>
    /// What /rerank does with a pair longer than the model's max length when the request has no "truncate": true (default)
    /// cuts it longest-first, as search does; false refuses it with 413, text-embeddings-inference's default.
    /// Elasticsearch's hugging_face service sends no "truncate", so the default keeps long documents working behind it.
    /// </summary>
    public bool Truncate { get; set; } = true;

    /// <summary>Most texts in one /rerank request (413 beyond). Default 256.</summary>
    [Range(1, 100_000)]
    public int MaxTexts { get; set; } = 256;

    /// <summary>Most bytes in one request body (413 beyond). Default 1 MiB.</summary>
    [Range(1, 1L << 30)]
    public long MaxRequestBytes { get; set; } = 1 << 20;

    /// <summary>Most characters in a query (422 beyond). Default 1000.</summary>
    [Range(1, 1_000_000)]
    public int MaxQueryLength { get; set; } = 1000;

    /// <summary>Most hits one /search may ask for, counting those skipped (k + offset; 422 beyond). Default 100.</summary>
    [Range(1, 10_000)]
    public int MaxTop { get; set; } = 100;

    /// <summary>
    /// Fewest seconds a client is told to wait (Retry-After) when the queue is full; the wait given is the queued pairs divided by
    /// the recent pairs per second of the model, rounded up, at least this and at most <see cref="MaxRetryAfterSeconds"/>
    /// (this alone before the first model call has finished). Default 1.
    /// </summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Most seconds a client is told to wait (Retry-After) when the queue is full. Default 60.</summary>
    [Range(1, 3600)]
    public int MaxRetryAfterSeconds { get; set; } = 60;

    /// <summary>Seconds in-flight requests get to finish after SIGTERM before they are cut. Default 30.</summary>
    [Range(0, 3600)]
    public int ShutdownSeconds { get; set; } = 30;
}
