using Rerank.Lucene.Embedding;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;

namespace Rerank.Benchmarks;

/// <summary>
/// The bundled bi-encoder (all-MiniLM-L6-v2) on its engines, interleaved in one process on the same texts:
/// index-time throughput (docs/s) of <see cref="BiEncoder.EmbedMany"/> over the first SciFact documents
/// (title + text, as the index embeds them; batch 32, length-sorted, as <c>search-host index</c> runs it) and
/// query-time latency (ms per query, one <see cref="BiEncoder.Embed"/> call per query) over SciFact queries;
/// then how far the vectors agree: per-document cosine to TorchSharp fp32, and the overlap of each query's
/// dense top 10 among those documents.
/// </summary>
internal static class EmbedderSection
{
    private static readonly (string Name, InferenceEngine Engine, Precision Precision)[] Engines =
    [
        ("onnxruntime fp32", InferenceEngine.OnnxRuntime, Precision.Fp32),
        ("torchsharp fp32", InferenceEngine.TorchSharp, Precision.Fp32),
        ("onnxruntime int8", InferenceEngine.OnnxRuntime, Precision.Int8),
    ];

    public static void Run(Report report, BenchmarkOptions options)
    {
        var docs = CorpusReader.ReadJsonl(Path.Combine(options.Scifact, "corpus.jsonl")).Take(options.EmbedDocs)
            .Select(d => DocumentText.Join(d.Title, d.Text)).ToList();
        var queries = File.ReadLines(Path.Combine(options.Scifact, "queries.jsonl")).Take(options.EmbedQueries)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList();
        Report.Progress($"Embedder: {docs.Count} SciFact documents, {queries.Count} queries, {options.Rounds} interleaved rounds");

        var encoders = Engines.Select(e => BiEncoder.LoadBundled(new BiEncoderOptions
        {
            Device = "cpu", Threads = options.Threads, Engine = e.Engine, Precision = e.Precision,
        })).ToList();
        try
        {
            var tokens = docs.Select(d => encoders[0].Tokenize(d).Length).ToList();
            var indexing = Interleaved.Run(
                Engines.Select((e, i) => new Contender(e.Name, docs.Count, () => encoders[i].EmbedMany(docs))).ToList(),
                options.Rounds, options.MinSampleSeconds);
            Report.Progress("Embedder: documents timed");
            var querying = Interleaved.Run(
                Engines.Select((e, i) => new Contender(e.Name, queries.Count, () =>
                {
                    foreach (var q in queries) encoders[i].Embed(q);
                })).ToList(),
                options.Rounds, options.MinSampleSeconds);
            Report.Progress("Embedder: queries timed");

            var docVectors = encoders.Select(e => e.EmbedMany(docs)).ToList();
            var queryVectors = encoders.Select(e => e.EmbedMany(queries)).ToList();
            const int reference = 1; // TorchSharp fp32: the engine the parity tests check against the package's ONNX file
            var dim = encoders[0].Dimension;

            report.Line($"### Embedder (bundled all-MiniLM-L6-v2, max 256 tokens): {docs.Count} SciFact documents (mean {Report.F(tokens.Average(), 0)} tokens, "
                        + $"{tokens.Count(t => t == 256)} cut at 256), {queries.Count} queries; batch 32, {options.Threads} threads, {options.Rounds} interleaved rounds");
            report.Line();
            report.Table(
                ["engine", "index docs/s (median)", "x ORT fp32", "spread", "query ms (median)", "x ORT fp32 (query rate)", "min cosine docs to torchsharp fp32", "mean cosine", "query top-10 overlap with torchsharp fp32"],
                Engines.Select((e, i) =>
                {
                    var cos = Enumerable.Range(0, docs.Count).Select(r => Cosine(docVectors[i], docVectors[reference], r, dim)).ToList();
                    return (IReadOnlyList<string>)
                    [
                        e.Name,
                        Report.F(indexing.Median(e.Name), 2),
                        Report.F(indexing.MedianRatio(e.Name, Engines[0].Name), 2) + "x",
                        Report.F(indexing.Spread(e.Name) * 100, 0) + "%",
                        Report.F(1000 / querying.Median(e.Name), 2),
                        Report.F(querying.MedianRatio(e.Name, Engines[0].Name), 2) + "x",
                        Report.F(cos.Min(), 8),
                        Report.F(cos.Average(), 8),
                        Report.F(TopOverlap(queryVectors[i], docVectors[i], queryVectors[reference], docVectors[reference], dim, 10), 3),
                    ];
                }));
            report.Line();
        }
        finally
        {
            foreach (var e in encoders) e.Dispose();
        }
    }

    private static double Cosine(float[] a, float[] b, int row, int dim)
    {
        double dot = 0, na = 0, nb = 0;
        for (var d = row * dim; d < (row + 1) * dim; d++)
        {
            dot += (double)a[d] * b[d];
            na += (double)a[d] * a[d];
            nb += (double)b[d] * b[d];
        }
        return dot / Math.Sqrt(na * nb);
    }

    /// <summary>Mean over queries of |top-k(q, D) ∩ top-k(q', D')| / k, by inner product; k is at most the number of documents.</summary>
    private static double TopOverlap(float[] q, float[] d, float[] qRef, float[] dRef, int dim, int k)
    {
        var queries = q.Length / dim;
        k = Math.Min(k, d.Length / dim); // with fewer documents than k, every list holds all of them
        double sum = 0;
        for (var i = 0; i < queries; i++)
        {
            var a = Top(q, d, i, dim, k);
            var b = Top(qRef, dRef, i, dim, k);
            sum += (double)a.Intersect(b).Count() / k;
        }
        return sum / queries;
    }

    private static int[] Top(float[] q, float[] d, int query, int dim, int k) =>
        Enumerable.Range(0, d.Length / dim)
            .Select(row =>
            {
                double dot = 0;
                for (var j = 0; j < dim; j++) dot += (double)q[query * dim + j] * d[row * dim + j];
                return (row, dot);
            })
            .OrderByDescending(x => x.dot).ThenBy(x => x.row).Take(k).Select(x => x.row).ToArray();
}
