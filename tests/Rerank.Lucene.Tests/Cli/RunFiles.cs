using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rerank.Lucene.Evaluation;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>Checks on what <c>eval</c> prints and writes, shared by the BM25 and reranking tests.</summary>
internal static partial class RunFiles
{
    /// <summary>The metric names of the JSON output, in order.</summary>
    public static readonly string[] MetricNames = ["ndcg@10", "mrr@10", "map", "recall@100", "p@10"];

    /// <summary>One line of a TREC run file.</summary>
    public sealed record RunLine(string QueryId, string DocId, int Rank, double Score, string Tag);

    [GeneratedRegex(@"^(\S+) Q0 (\S+) ([0-9]+) (-?[0-9]+\.[0-9]{6}) (\S+)$")]
    private static partial Regex RunLinePattern();

    // Hybrid runs print fused scores with 10 decimals.
    [GeneratedRegex(@"^(\S+) Q0 (\S+) ([0-9]+) (-?[0-9]+\.[0-9]{10}) (\S+)$")]
    private static partial Regex HybridRunLinePattern();

    /// <summary>
    /// Reads a run file and checks its form: 'qid Q0 docid rank score tag' with single spaces and six
    /// decimals, LF line ends, each query's lines together with ranks 1..n, scores not increasing,
    /// printed ties in doc-id order.
    /// </summary>
    public static List<RunLine> ReadAndCheck(string path, string tag)
    {
        var text = File.ReadAllText(path);
        Assert.DoesNotContain("\r", text);
        Assert.EndsWith("\n", text);
        var lines = text.TrimEnd('\n').Split('\n').Select(l =>
        {
            var m = (tag == "hybrid" ? HybridRunLinePattern() : RunLinePattern()).Match(l);
            Assert.True(m.Success, $"not a run line: '{l}'");
            return new RunLine(m.Groups[1].Value, m.Groups[2].Value, int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
                double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture), m.Groups[5].Value);
        }).ToList();
        Assert.All(lines, l => Assert.Equal(tag, l.Tag));
        var queryOrder = lines.Select(l => l.QueryId).Distinct().ToList();
        var contiguous = lines.Select(l => l.QueryId).Where((q, i) => i == 0 || lines[i - 1].QueryId != q).ToList();
        Assert.Equal(queryOrder, contiguous);
        foreach (var group in lines.GroupBy(l => l.QueryId))
        {
            var ranked = group.ToList();
            Assert.Equal(Enumerable.Range(1, ranked.Count), ranked.Select(l => l.Rank));
            for (var i = 1; i < ranked.Count; i++)
            {
                var (above, below) = (ranked[i - 1], ranked[i]);
                Assert.True(above.Score > below.Score || (above.Score == below.Score && string.CompareOrdinal(above.DocId, below.DocId) > 0),
                    $"{group.Key}: rank {above.Rank} {above.DocId} {above.Score} before rank {below.Rank} {below.DocId} {below.Score}");
            }
        }
        return lines;
    }

    /// <summary>Parses <c>eval --json</c>: the query count and each ranking's metrics, checking the exact shape.</summary>
    public static (int Queries, Dictionary<string, MetricSet> Rankings) ParseEvalJson(string output, params string[] rankings)
    {
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        // The rankings are the members that hold metrics; "retrieval" and timings sit beside them.
        Assert.Equal("queries", root.EnumerateObject().First().Name);
        Assert.Equal(rankings, root.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("ndcg@10", out _)).Select(p => p.Name));
        var metrics = new Dictionary<string, MetricSet>();
        foreach (var name in rankings)
        {
            var m = root.GetProperty(name);
            Assert.Equal(MetricNames, m.EnumerateObject().Select(p => p.Name));
            metrics[name] = new MetricSet(m.GetProperty("ndcg@10").GetDouble(), m.GetProperty("mrr@10").GetDouble(),
                m.GetProperty("map").GetDouble(), m.GetProperty("recall@100").GetDouble(), m.GetProperty("p@10").GetDouble());
        }
        return (root.GetProperty("queries").GetInt32(), metrics);
    }

    /// <summary>The metrics of a run file computed from scratch: read back, then evaluated against the qrels.</summary>
    public static EvaluationResult EvaluateFile(string qrels, string run) =>
        Evaluator.Evaluate(QrelsReader.Read(qrels), TrecRunReader.Read(run));
}
