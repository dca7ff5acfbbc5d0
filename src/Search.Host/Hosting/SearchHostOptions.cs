using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Search.Host.Hosting;

/// <summary>
/// Settings of <c>search-host</c>, bound from the <c>SearchHost</c> section of
/// <c>appsettings.json</c>, then environment variables (<c>SEARCHRERANK_SearchHost__Top=20</c>),
/// then command-line flags, later sources winning. The defaults here are the only ones.
/// </summary>
public sealed class SearchHostOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "SearchHost";

    /// <summary>Index folder used when a command gets no <c>--index</c>.</summary>
    public string? Index { get; set; }

    /// <summary>Hits shown by <c>search</c> and ranks evaluated and written by <c>eval</c>. Default 10 for search; eval uses <see cref="EvalDepth"/>.</summary>
    [Range(1, 10_000)]
    public int Top { get; set; } = 10;

    /// <summary>Depth of the run that <c>eval</c> retrieves and writes: 1000, as BEIR/Anserini runs, so Recall@100 and MAP see enough documents.</summary>
    [Range(1, 100_000)]
    public int EvalDepth { get; set; } = 1000;

    /// <summary>Cross-encoder reranking settings.</summary>
    [ValidateObjectMembers]
    public RerankerHostOptions Reranker { get; set; } = new();
}
