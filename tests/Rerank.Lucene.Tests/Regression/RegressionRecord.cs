using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rerank.Lucene.Tests.Regression;

/// <summary>
/// One checked-in BM25 regression (eval/regressions/*.json): the commands, the expected index
/// statistics and the expected scores to 4 decimals, as Anserini pins its regressions.
/// </summary>
internal sealed record RegressionRecord(
    [property: JsonPropertyName("collection")] string Collection,
    [property: JsonPropertyName("corpus")] string Corpus,
    [property: JsonPropertyName("queries")] string Queries,
    [property: JsonPropertyName("qrels")] string Qrels,
    [property: JsonPropertyName("index")] RegressionIndex Index,
    [property: JsonPropertyName("commands")] IReadOnlyList<string> Commands,
    [property: JsonPropertyName("expectedIndex")] ExpectedIndex ExpectedIndex,
    [property: JsonPropertyName("expected")] ExpectedScores Expected,
    [property: JsonPropertyName("reference")] PublishedReference? Reference = null,
    [property: JsonPropertyName("notes")] string? Notes = null)
{
    public static string Folder => Path.Combine(TestPaths.RepoRoot, "eval", "regressions");

    public static IReadOnlyList<(string Name, RegressionRecord Record)> All() =>
        Directory.GetFiles(Folder, "*.json").Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileNameWithoutExtension(f), JsonSerializer.Deserialize<RegressionRecord>(File.ReadAllText(f))!))
            .ToList();

    /// <summary>The Markdown table in docs/REGRESSIONS.md, generated from the records.</summary>
    public static string RenderMarkdown(IReadOnlyList<(string Name, RegressionRecord Record)> records)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# BM25 regressions");
        sb.AppendLine();
        sb.AppendLine("Generated from `eval/regressions/*.json` by `RegressionDocsTests` (set `SEARCHRERANK_UPDATE_DOCS=1` and run the tests to rewrite it); do not edit by hand.");
        sb.AppendLine("Each record pins the commands, the index statistics and the expected scores to 4 decimals; the `Regression` test category re-runs them whenever `../shared/datasets` is present.");
        sb.AppendLine();
        sb.AppendLine("| collection | fields | docs | queries | nDCG@10 | MRR@10 | MAP | R@100 | P@10 | published nDCG@10 |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var (_, r) in records)
        {
            var m = r.Expected.Bm25;
            var reference = r.Reference is null ? "" : string.Create(inv, $"{r.Reference.Ndcg10:F4} ({r.Reference.Source})");
            sb.AppendLine(inv, $"| {r.Collection} | {r.Index.Fields} | {r.ExpectedIndex.Documents} | {r.Expected.Queries} | {m.Ndcg10:F4} | {m.Mrr10:F4} | {m.Map:F4} | {m.Recall100:F4} | {m.P10:F4} | {reference} |");
        }
        sb.AppendLine();
        sb.AppendLine("BM25 k1 0.9, b 0.4, English analysis (Porter stemming, English stop words), runs of depth 1,000, test split qrels.");
        sb.AppendLine();
        sb.AppendLine("## Commands");
        foreach (var (name, r) in records)
        {
            sb.AppendLine();
            sb.AppendLine(inv, $"`{name}`{(r.Notes is null ? "" : ": " + r.Notes)}");
            sb.AppendLine();
            sb.AppendLine("```");
            foreach (var c in r.Commands) sb.AppendLine(c);
            sb.AppendLine("```");
        }
        return sb.ToString();
    }
}

internal sealed record RegressionIndex(
    [property: JsonPropertyName("fields")] string Fields,
    [property: JsonPropertyName("k1")] float K1,
    [property: JsonPropertyName("b")] float B,
    [property: JsonPropertyName("skipEmpty")] bool SkipEmpty);

internal sealed record ExpectedIndex(
    [property: JsonPropertyName("documents")] long Documents,
    [property: JsonPropertyName("fields")] IReadOnlyDictionary<string, ExpectedField>? Fields);

internal sealed record ExpectedField(
    [property: JsonPropertyName("uniqueTerms")] long UniqueTerms,
    [property: JsonPropertyName("totalTerms")] long TotalTerms);

internal sealed record ExpectedScores(
    [property: JsonPropertyName("queries")] int Queries,
    [property: JsonPropertyName("bm25")] Rerank.Lucene.Evaluation.MetricSet Bm25);

internal sealed record PublishedReference(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("ndcg@10")] double Ndcg10);
