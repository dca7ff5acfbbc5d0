using System.CommandLine;
using Rerank.Lucene;
using Search.Host.Hosting;

namespace Search.Host.Cli;

/// <summary>Options shared by several commands, spelled and described once.</summary>
internal static class CommonOptions
{
    /// <summary><c>--index</c>: an index folder (configurable as SearchHost:Index).</summary>
    public static readonly Option<string> Index = new("--index", "-i")
    {
        Description = "Index folder (built by `search-host index`). Can also be set as SearchHost:Index in appsettings.json or SEARCHRERANK_SearchHost__Index.",
    };

    /// <summary><c>--top</c>: number of hits to show.</summary>
    public static readonly Option<int> Top = new Option<int>("--top", "-k")
    {
        Description = "Number of hits to show. Default 10.",
    }.CheckedAs(typeof(SearchHostOptions), nameof(SearchHostOptions.Top));

    /// <summary>The index folder from flags or configuration, or a clear error.</summary>
    public static string RequireIndex(SearchHostOptions options) =>
        options.Index ?? throw new InvalidInputException(
            "No index given. Pass --index DIR (build one with `search-host index --corpus FILE --index DIR`), or set SearchHost:Index in appsettings.json.");
}
