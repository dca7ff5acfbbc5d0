using System.Diagnostics;
using System.Globalization;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;

namespace Rerank.Benchmarks;

/// <summary>
/// Cost against corpus size (issue 15, goal 4), one section per process so that the process's peak memory belongs to
/// one measurement; eval/speed/scale.sh runs them for each synthetic corpus and assembles the table.
/// <list type="bullet">
/// <item><c>scale-bm25</c>: BM25 latency on <c>--index</c> (Rank at depth 100 and 1000, Search with stored text at 100) over SciFact test queries.</item>
/// <item><c>scale-vectors</c>: writes seeded random unit vectors (the bundled MiniLM's dimension and header) into <c>--index</c>, in the
/// index's own vector format (<see cref="DocumentVectors"/>), and records them in its manifest: the exact scan's cost does not depend
/// on the values, and embedding a million documents is out of reach on this machine.</item>
/// <item><c>scale-dense</c>: loading those vectors, then per query: query embedding (real model, real query), and the exact
/// inner-product scan with top-k selection at depth 1 (the scan alone, near enough), 100 and 1000.</item>
/// <item><c>scale-rerank</c>: the default reranker (auto engine and precision) on the top n BM25 candidates of <c>--index</c>
/// (a SciFact index) for n in <c>--candidates</c>, time per query.</item>
/// </list>
/// Every timing cell also appends "size, cell, statistic, value" rows to <c>--scale-results</c> (TSV) for the table.
/// </summary>
internal static class ScaleBenchmark
{
    public static readonly IReadOnlySet<string> Sections = new HashSet<string>(StringComparer.Ordinal) { "scale-bm25", "scale-vectors", "scale-dense", "scale-rerank" };

    public static void Run(Report report, BenchmarkOptions options)
    {
        var index = options.ScaleIndex ?? throw new ArgumentException("The scale sections need --index DIR.");
        if (options.Sections.Contains("scale-vectors")) WriteVectors(report, options, index);
        if (options.Sections.Contains("scale-bm25")) Bm25(report, options, index);
        if (options.Sections.Contains("scale-dense")) Dense(report, options, index);
        if (options.Sections.Contains("scale-rerank")) Rerank(report, options, index);
    }

    /// <summary>SciFact test queries (ids of qrels/test.tsv in file order, their text from queries.jsonl): the first <paramref name="count"/>.</summary>
    private static List<string> Queries(BenchmarkOptions options, int count)
    {
        var text = File.ReadLines(Path.Combine(options.Scifact, "queries.jsonl"))
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
            .ToDictionary(e => e.GetProperty("_id").GetString()!, e => e.GetProperty("text").GetString()!, StringComparer.Ordinal);
        return File.ReadLines(Path.Combine(options.Scifact, "qrels", "test.tsv")).Skip(1)
            .Select(line => line.Split('\t')[0]).Distinct(StringComparer.Ordinal).Take(count).Select(id => text[id]).ToList();
    }

    private static void Bm25(Report report, BenchmarkOptions options, string indexDir)
    {
        var queries = Queries(options, options.ScaleQueries);
        var open = Stopwatch.StartNew();
        using var bm25 = Bm25Searcher.Open(indexDir, reopenWhenRebuilt: false);
        var openMs = open.Elapsed.TotalMilliseconds;
        var size = bm25.DocumentCount;
        Report.Progress($"scale-bm25: {size} documents, opened in {openMs:F0} ms; warming up");
        foreach (var q in queries.Take(20)) bm25.Rank(q, 1000);
        var cells = new (string Name, Func<string, int> Run)[]
        {
            ("bm25 rank@100", q => bm25.Rank(q, 100).Count),
            ("bm25 rank@1000", q => bm25.Rank(q, 1000).Count),
            ("bm25 search@100 (with stored text)", q => bm25.Search(q, 100).Count),
        };
        var times = Time(cells, queries, options.Seed);
        report.Line($"### BM25, {size:N0} documents (`{indexDir}`), {queries.Count} SciFact test queries");
        report.Line();
        report.Line($"Opened in {openMs:F0} ms. Peak RSS {Mib(PeakRssBytes())} MiB after the timings (VmHWM, the whole process).");
        report.Line();
        Cells(report, options, size, times);
        Record(options, size, "bm25 open", "ms", openMs);
        Record(options, size, "bm25 process", "peak_rss_mib", PeakRssBytes() / 1048576.0);
    }

    private static void WriteVectors(Report report, BenchmarkOptions options, string indexDir)
    {
        var manifest = IndexManifest.Read(indexDir);
        using var encoder = BiEncoder.LoadBundled();
        var count = checked((int)manifest.DocumentCount);
        var dimension = encoder.Dimension;
        foreach (var file in new[] { DocumentVectors.DataFile, DocumentVectors.HeaderFile }) File.Delete(Path.Combine(indexDir, file));
        var random = new Random(options.Seed);
        var row = new float[dimension];
        var clock = Stopwatch.StartNew();
        // A standard normal vector scaled to unit length is uniform on the sphere (Box-Muller for the normals).
        var info = DocumentVectors.WriteRows(indexDir, EmbeddingInfo.For(encoder, count, seconds: 0), count, _ =>
        {
            double norm = 0;
            for (var j = 0; j < dimension; j += 2)
            {
                var radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
                var angle = 2 * Math.PI * random.NextDouble();
                row[j] = (float)(radius * Math.Cos(angle));
                if (j + 1 < dimension) row[j + 1] = (float)(radius * Math.Sin(angle));
            }
            foreach (var v in row) norm += (double)v * v;
            var scale = (float)(1 / Math.Sqrt(norm));
            for (var j = 0; j < dimension; j++) row[j] *= scale;
            return row;
        });
        (manifest with { Embeddings = info }).Write(indexDir);
        report.Line($"Wrote {count:N0} seeded random unit vectors of dimension {dimension} ({Mib(count * (long)dimension * 4)} MiB, "
                    + $"`{DocumentVectors.DataFile}`, header of {info.Model}) into `{indexDir}` in {clock.Elapsed.TotalSeconds:F1} s.");
        report.Line();
    }

    private static void Dense(Report report, BenchmarkOptions options, string indexDir)
    {
        var queries = Queries(options, options.ScaleQueries);
        var rssStart = RssBytes();
        var clock = Stopwatch.StartNew();
        using var encoder = BiEncoder.LoadBundled();
        var encoderMs = clock.Elapsed.TotalMilliseconds;
        var rssEncoder = RssBytes();
        using var bm25 = Bm25Searcher.Open(indexDir, reopenWhenRebuilt: false);
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        var rssBefore = RssBytes();
        clock.Restart();
        var dense = new DenseSearcher(bm25, encoder);
        var loadMs = clock.Elapsed.TotalMilliseconds;
        // What the searcher holds: the vectors (count x dimension x 4 bytes) and the ids, as live managed memory.
        var held = GC.GetTotalMemory(forceFullCollection: true) - managedBefore;
        var rssLoaded = RssBytes();
        var size = bm25.DocumentCount;
        Report.Progress($"scale-dense: {size} vectors loaded in {loadMs:F0} ms; warming up");
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var q in queries) vectors[q] = encoder.Embed(q);
        foreach (var q in queries.Take(5)) dense.RankVector(vectors[q], 1000);
        var cells = new (string Name, Func<string, int> Run)[]
        {
            ("query embedding", q => encoder.Embed(q).Length),
            // k = 1: the scan with next to no selection work (DenseSearcher.ScoreAll would time a fresh 4 N-byte array as well).
            ("dense scan + top 1", q => dense.RankVector(vectors[q], 1).Count),
            ("dense scan + top 100", q => dense.RankVector(vectors[q], 100).Count),
            ("dense scan + top 1000", q => dense.RankVector(vectors[q], 1000).Count),
        };
        var times = Time(cells, queries, options.Seed);
        report.Line($"### Dense (exact inner product), {size:N0} x {encoder.Dimension} random unit vectors (`{indexDir}`), {queries.Count} SciFact test queries");
        report.Line();
        report.Line($"Encoder loaded in {encoderMs:F0} ms; vectors and ids loaded (`new DenseSearcher`) in {loadMs:F0} ms, holding {Mib(held)} MiB of live "
                    + $"managed memory (the vectors alone: {Mib(size * (long)encoder.Dimension * 4)} MiB). RSS: {Mib(rssStart)} MiB at start, "
                    + $"{Mib(rssEncoder)} MiB with the encoder, {Mib(rssBefore)} MiB with the BM25 index open, {Mib(rssLoaded)} MiB with the vectors and ids; "
                    + $"peak {Mib(PeakRssBytes())} MiB (VmHWM).");
        report.Line();
        Cells(report, options, size, times);
        Record(options, size, "dense load", "ms", loadMs);
        Record(options, size, "dense vectors+ids", "managed_mib", held / 1048576.0);
        Record(options, size, "dense vectors+ids", "rss_mib", (rssLoaded - rssBefore) / 1048576.0);
        Record(options, size, "dense process", "peak_rss_mib", PeakRssBytes() / 1048576.0);
    }

    private static void Rerank(Report report, BenchmarkOptions options, string indexDir)
    {
        var model = options.Model ?? DefaultReranker.Locate();
        var counts = options.ScaleCandidates;
        var queries = Queries(options, int.MaxValue);
        var picked = queries.ToList();
        var random = new Random(options.Seed);
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(picked));
        picked = picked.Take(options.Queries).ToList();
        using var bm25 = Bm25Searcher.Open(indexDir, reopenWhenRebuilt: false);
        using var encoder = CrossEncoder.Load(model, new CrossEncoderOptions { Threads = options.Threads });
        var reranker = new RerankingSearcher(bm25, encoder);
        var candidates = picked.ToDictionary(q => q, q => bm25.Search(q, counts.Max()), StringComparer.Ordinal);
        Report.Progress($"scale-rerank: {encoder.EngineDescription}; warming up");
        reranker.Rerank(picked[0], candidates[picked[0]].Take(counts.Min()).ToList());
        var cells = counts.Select(n => ($"rerank top {n}", (Func<string, int>)(q => reranker.Rerank(q, candidates[q].Take(n).ToList()).Count))).ToArray();
        var pairs = counts.ToDictionary(n => n, n => picked.Average(q => reranker.Pairs(q, candidates[q].Take(n).ToList()).Items.Count));
        var times = Time(cells, picked, options.Seed);
        report.Line($"### Reranking against the number of candidates: `{model}`, {encoder.EngineDescription}, "
                    + $"{options.Threads} threads, batch {encoder.Options.BatchSize}, max length {encoder.MaxLength}; BM25 top n on `{indexDir}` ({bm25.DocumentCount:N0} documents), "
                    + $"{picked.Count} seeded SciFact test queries (seed {options.Seed})");
        report.Line();
        Cells(report, options, 0, times);
        foreach (var n in counts)
        {
            var mean = times[$"rerank top {n}"].Average();
            report.Line($"top {n}: {pairs[n]:F1} (query, passage) pairs per query on average; {mean / n:F1} ms per candidate.");
            Record(options, n, "rerank", "pairs_per_query", pairs[n]);
        }
        report.Line();
    }

    /// <summary>Runs every cell once per query (cells in a seeded shuffled order per query); milliseconds by cell name.</summary>
    private static Dictionary<string, List<double>> Time((string Name, Func<string, int> Run)[] cells, IReadOnlyList<string> queries, int seed)
    {
        var times = cells.ToDictionary(c => c.Name, _ => new List<double>(), StringComparer.Ordinal);
        var random = new Random(seed);
        var order = cells.ToArray();
        var clock = new Stopwatch();
        var sink = 0L;
        foreach (var q in queries)
        {
            random.Shuffle(order);
            foreach (var (name, run) in order)
            {
                clock.Restart();
                sink += run(q);
                times[name].Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        GC.KeepAlive(sink);
        return times;
    }

    private static void Cells(Report report, BenchmarkOptions options, int size, Dictionary<string, List<double>> times)
    {
        report.Table(["cell", "queries", "mean ms", "p50 ms", "p95 ms", "max ms"], times.Select(t =>
        {
            var (mean, p50, p95, max) = (t.Value.Average(), Percentile(t.Value, 0.50), Percentile(t.Value, 0.95), t.Value.Max());
            Record(options, size, t.Key, "mean_ms", mean);
            Record(options, size, t.Key, "p95_ms", p95);
            return (IReadOnlyList<string>)[t.Key, t.Value.Count.ToString(CultureInfo.InvariantCulture), Report.F(mean, 2), Report.F(p50, 2), Report.F(p95, 2), Report.F(max, 2)];
        }));
    }

    /// <summary>Nearest-rank percentile: the smallest value with at least <paramref name="p"/> of the values at or below it.</summary>
    internal static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static void Record(BenchmarkOptions options, int size, string cell, string statistic, double value)
    {
        if (options.ScaleResults is null) return;
        File.AppendAllText(options.ScaleResults, string.Create(CultureInfo.InvariantCulture, $"{size}\t{cell}\t{statistic}\t{value:F3}\n"));
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);

    private static long PeakRssBytes() => StatusKib("VmHWM:") * 1024;

    private static long RssBytes() => StatusKib("VmRSS:") * 1024;

    private static long StatusKib(string field)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
