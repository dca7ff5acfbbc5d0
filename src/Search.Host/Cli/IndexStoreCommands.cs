using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rerank.Lucene;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Search.Host.Hosting;

namespace Search.Host.Cli;

/// <summary>
/// The commands that treat an index as a store of documents: <c>delete</c> (by id), <c>get</c> (one stored document)
/// and <c>stats</c> (manifest, counts, fields, size). Adding and replacing is <c>index --update</c>.
/// </summary>
internal static class IndexStoreCommands
{
    private static readonly Option<string> IdsFile = new("--ids")
    {
        Description = "A file with one document id per line (blank lines are skipped), to delete besides any ids given as arguments.",
    };

    private static readonly Argument<string[]> DeleteIds = new("id")
    {
        Description = "Document ids to delete.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static readonly Argument<string> GetId = new("id") { Description = "The id of the document to print." };

    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of text." };

    private static Dictionary<Option, string> IndexBinding() => new() { [CommonOptions.Index] = $"{SearchHostOptions.Section}:Index" };

    /// <summary><c>search-host delete</c>.</summary>
    public static Command CreateDelete()
    {
        var command = new Command("delete", "Delete documents by id from an index (and their vectors), in one commit. Ids the index does not have are " +
            "reported and counted, not an error. A killed or failed run leaves the index as it was.\n\n" +
            "Examples:\n  search-host delete --index .idx/sample sci-01 sci-07\n  search-host delete --index .idx/sample --ids gone.txt")
        {
            CommonOptions.Index, IdsFile, DeleteIds,
        };
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, IndexBinding(), (services, token) =>
            Task.FromResult(RunDelete(parse, services, token)), ct));
        return command;
    }

    /// <summary><c>search-host get</c>.</summary>
    public static Command CreateGet()
    {
        var command = new Command("get", "Print the stored document with the given id, as JSON (id, title, text, and its kept fields, if any).\n\n" +
            "Example:\n  search-host get --index .idx/sample sci-02")
        {
            CommonOptions.Index, GetId,
        };
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, IndexBinding(), (services, _) =>
            Task.FromResult(RunGet(parse, services)), ct));
        return command;
    }

    /// <summary><c>search-host stats</c>.</summary>
    public static Command CreateStats()
    {
        var command = new Command("stats", "Print what an index holds: document count, generation and history of updates, analyzer, BM25 parameters, " +
            "fields and their statistics, document vectors, size on disk.\n\nExample:\n  search-host stats --index .idx/sample")
        {
            CommonOptions.Index, Json,
        };
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, IndexBinding(), (services, _) =>
            Task.FromResult(RunStats(parse, services)), ct));
        return command;
    }

    private static int RunDelete(ParseResult parse, IServiceProvider services, CancellationToken ct)
    {
        var console = ConsoleOutput.For(parse);
        var indexDir = CommonOptions.RequireIndex(services.Options<SearchHostOptions>());
        var ids = new List<string>(parse.GetValue(DeleteIds) ?? []);
        var file = parse.GetValue(IdsFile);
        if (file is not null) ids.AddRange(ReadIds(file));
        if (ids.Count == 0)
            throw new InvalidInputException("No ids to delete. Give them as arguments (search-host delete --index DIR ID...) or in a file, one per line (--ids FILE).");
        var manifest = IndexManifest.Read(indexDir);
        services.GetRequiredService<ILoggerFactory>().CreateLogger("delete")
            .LogInformation("Deleting {Count} ids from {Index} (generation {Generation})", ids.Count, indexDir, manifest.Generation);
        var source = file is null ? "ids on the command line" : $"ids from {Path.GetFullPath(file)}";
        IndexUpdateResult result;
        try
        {
            result = IndexUpdater.Delete(indexDir, ids, new IndexUpdateOptions(Source: source), ct: ct);
        }
        catch (OperationCanceledException cancelled) when (ct.IsCancellationRequested)
        {
            throw new CancelledException($"the index '{indexDir}' is untouched (generation {manifest.Generation}) and searches as before.", cancelled, ct);
        }
        var notFound = result.NotFound.Count == 0 ? ""
            : $"; {result.NotFound.Count} {(result.NotFound.Count == 1 ? "id was" : "ids were")} not in the index: {string.Join(", ", result.NotFound.Take(20))}{(result.NotFound.Count > 20 ? ", ..." : "")}";
        if (!result.Committed)
        {
            console.Output.WriteLine(
                $"Deleted 0 documents from {indexDir}{notFound}; nothing changed: still {Words.Count(result.Manifest.DocumentCount, "document")} (generation {result.Manifest.Generation}).");
            return 0;
        }
        console.Output.WriteLine(
            $"Deleted {Words.Count(result.Deleted, "document")} from {indexDir}{notFound}; now {Words.Count(result.Manifest.DocumentCount, "document")} (generation {result.Manifest.Generation}).");
        return 0;
    }

    /// <summary>The ids of an --ids file: one per line, trimmed, blank lines skipped.</summary>
    private static IEnumerable<string> ReadIds(string file)
    {
        if (!File.Exists(file))
            throw new InvalidInputException($"--ids file '{file}' does not exist. Give a file with one document id per line.", file);
        return File.ReadLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
    }

    private static int RunGet(ParseResult parse, IServiceProvider services)
    {
        var console = ConsoleOutput.For(parse);
        var indexDir = CommonOptions.RequireIndex(services.Options<SearchHostOptions>());
        var id = parse.GetRequiredValue(GetId);
        using var searcher = Bm25Searcher.Open(indexDir, reopenWhenRebuilt: false);
        var doc = searcher.GetDocument(id) ?? throw new InvalidInputException(
            $"Index '{indexDir}' has no document with id '{id}' ({searcher.DocumentCount} documents, generation {searcher.Manifest.Generation}). " +
            "Check the id (ids are case-sensitive); `search-host search` shows the ids of matching documents.", indexDir);
        console.Output.WriteLine(doc.Fields is null
            ? CliJson.Serialize(new { id = doc.Id, title = doc.Title, text = doc.Text })
            : CliJson.Serialize(new { id = doc.Id, title = doc.Title, text = doc.Text, fields = doc.Fields }));
        return 0;
    }

    private static int RunStats(ParseResult parse, IServiceProvider services)
    {
        var console = ConsoleOutput.For(parse);
        var indexDir = CommonOptions.RequireIndex(services.Options<SearchHostOptions>());
        IndexManifest manifest;
        int luceneCount;
        using (var searcher = Bm25Searcher.Open(indexDir, reopenWhenRebuilt: false))
        {
            manifest = searcher.Manifest;
            luceneCount = searcher.DocumentCount;
        }
        var size = new DirectoryInfo(indexDir).EnumerateFiles().Sum(f => f.Length);
        if (parse.GetValue(Json))
        {
            using var manifestJson = JsonDocument.Parse(manifest.ToJson());
            console.Output.WriteLine(CliJson.Serialize(new
            {
                index = Path.GetFullPath(indexDir),
                documents = luceneCount,
                size_bytes = size,
                manifest = manifestJson.RootElement,
            }));
            return 0;
        }
        var o = console.Output;
        var c = CultureInfo.InvariantCulture;
        o.WriteLine($"index:       {Path.GetFullPath(indexDir)}");
        o.WriteLine(string.Create(c, $"documents:   {luceneCount:N0}"));
        o.WriteLine(string.Create(c, $"generation:  {manifest.Generation} (built {manifest.CreatedUtc:yyyy-MM-dd HH:mm:ss}Z from {manifest.Source})"));
        o.WriteLine($"analyzer:    {manifest.Analyzer}");
        o.WriteLine(string.Create(c, $"bm25:        k1 {manifest.K1}, b {manifest.B}"));
        o.WriteLine($"fields:      {manifest.FieldsMode.ToString().ToLowerInvariant()}; stored: id, title, text; searched: {string.Join(", ", manifest.FieldStatistics.Keys)}");
        foreach (var (field, stats) in manifest.FieldStatistics)
        {
            o.WriteLine(string.Create(c, $"  {field}: {stats.UniqueTerms:N0} unique terms, {stats.TotalTerms:N0} terms in {stats.DocumentsWithField:N0} documents"));
        }
        o.WriteLine(manifest.KeptFields is { Count: > 0 } kept
            ? $"kept:        {string.Join(", ", kept.Select(f => $"{f.Key} ({f.Value.ToString().ToLowerInvariant()})"))} (stored, filterable)"
            : "kept:        none");
        o.WriteLine(manifest.Embeddings is { } e
            ? string.Create(c, $"vectors:     {e.Count:N0} x {e.Dimension} ({e.Model}, {e.Pooling} pooling, max {e.MaxLength} tokens; {e.Engine ?? "torchsharp"} {e.Precision ?? "fp32"})")
                + (e.Passages is { } p
                    ? $"\npassages:    {p.Words}-word windows, stride {p.Stride}, {Words.Count(e.Count, "passage")} of {Words.Count(p.Documents, "document")}; a document scores its best passage (max)"
                    : string.Create(c, $"\npassages:    first passage only (one vector per document, cut at {e.MaxLength} tokens)"))
            : "vectors:     none (BM25 only)");
        o.WriteLine(string.Create(c, $"size:        {size:N0} bytes"));
        o.WriteLine("history:");
        foreach (var h in manifest.History ?? [])
        {
            o.WriteLine(string.Create(c,
                $"  {h.Generation,3} {h.Kind,-6} {h.CommittedUtc:yyyy-MM-dd HH:mm:ss}Z  +{h.Added} added, {h.Replaced} replaced, {h.Deleted} deleted" +
                $"{(h.NotFound > 0 ? $" ({h.NotFound} not found)" : "")} -> {h.DocumentCount:N0} documents  ({h.Source})"));
        }
        return 0;
    }
}
