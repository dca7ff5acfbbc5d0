using Rerank.Lucene.Embedding;
using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Retrieval;

namespace Rerank.Benchmarks;

/// <summary>
/// Section prf (issue 9 probe): pseudo-relevance feedback in the hybrid first stage, on dev sets only. For each query the
/// default hybrid (BM25 top 100 + dense top 100, min-max, dense weight 0.45) gives the feedback ranking; RM3 expands the BM25
/// query from its first documents (<see cref="Bm25Searcher.RankWithFeedback"/>), Rocchio moves the dense query toward them
/// (<see cref="DenseSearcher.Rocchio"/>), and the two new lists are fused as before. Reports nDCG@10 per dev set for every
/// setting of a small grid, and leave-one-collection-out: the setting chosen on five dev sets, scored on the sixth, so the
/// estimate carries no selection bias.
/// </summary>
internal static class PrfSection
{
    public static void Run(Report report, BenchmarkOptions options)
    {
        var sets = options.DevSets ?? throw new ArgumentException("Section prf needs --dev-sets NAME=INDEX=QUERIES=QRELS;... (dev judgments only).");
        var hybrid = new HybridOptions();
        var scores = new Dictionary<string, Dictionary<string, List<double>>>(StringComparer.Ordinal);
        void Add(string variant, string set, double value)
        {
            if (!scores.TryGetValue(variant, out var bySet)) scores[variant] = bySet = new(StringComparer.Ordinal);
            if (!bySet.TryGetValue(set, out var list)) bySet[set] = list = [];
            list.Add(value);
        }
        var rm3Grid = (from docs in new[] { 5, 10, 20 } from terms in new[] { 10, 20 } from weight in new[] { 0.5, 0.6, 0.7, 0.8, 0.9 }
                       select new Rm3Options { FeedbackDocuments = docs, FeedbackTerms = terms, OriginalQueryWeight = weight }).ToList();
        var rocchioGrid = (from docs in new[] { 1, 2, 3, 5, 10 } from beta in new[] { 0.1, 0.25, 0.4, 0.5, 1.0 }
                           select new RocchioOptions { FeedbackDocuments = docs, Beta = beta }).ToList();
        static string Rm3Name(Rm3Options o) => $"RM3 {o.FeedbackDocuments} docs, {o.FeedbackTerms} terms, query weight {o.OriginalQueryWeight}";
        static string RocchioName(RocchioOptions o) => $"Rocchio {o.FeedbackDocuments} docs, beta {o.Beta}";
        foreach (var (name, indexDir, queriesFile, qrelsFile) in sets)
        {
            using var bm25 = Bm25Searcher.Open(indexDir, reopenWhenRebuilt: false);
            using var stages = FirstStages.Open(bm25, "hybrid", encoderOptions: new BiEncoderOptions { Threads = options.Threads });
            var dense = stages.Dense!;
            var qrels = QrelsReader.Read(qrelsFile);
            var queries = QueryFileReader.Read(queriesFile).Where(q => qrels.QueryIds.Contains(q.Id)).ToList();
            Report.Progress($"prf: {name}, {queries.Count} dev queries");
            foreach (var query in queries)
            {
                var judgments = qrels.Judgments(query.Id);
                double Ndcg(IReadOnlyList<RankedDocument> ranking) => RankingMetrics.NdcgAtK(ranking.Select(r => r.DocId).ToList(), judgments, 10);
                var lexical = bm25.Rank(query.Text, hybrid.Depth);
                var vector = dense.EmbedQuery(query.Text);
                var semantic = dense.RankVector(vector, hybrid.Depth);
                var fused = HybridSearcher.Fuse(lexical, semantic, hybrid);
                Add("hybrid", name, Ndcg(fused));
                var expanded = rm3Grid.Select(o => bm25.RankWithFeedback(query.Text, fused, hybrid.Depth, o)).ToList();
                for (var i = 0; i < rm3Grid.Count; i++) Add(Rm3Name(rm3Grid[i]), name, Ndcg(HybridSearcher.Fuse(expanded[i], semantic, hybrid)));
                foreach (var rocchio in rocchioGrid)
                {
                    var moved = dense.RankVector(dense.Rocchio(vector, fused, rocchio), hybrid.Depth);
                    Add(RocchioName(rocchio), name, Ndcg(HybridSearcher.Fuse(lexical, moved, hybrid)));
                    for (var i = 0; i < rm3Grid.Count; i++)
                        Add($"{Rm3Name(rm3Grid[i])} + {RocchioName(rocchio)}", name, Ndcg(HybridSearcher.Fuse(expanded[i], moved, hybrid)));
                }
            }
        }

        var names = sets.Select(s => s.Name).ToList();
        var baseline = names.ToDictionary(n => n, n => scores["hybrid"][n].Average());
        double Gain(string variant, string set) => scores[variant][set].Average() - baseline[set];
        report.Line("## Pseudo-relevance feedback in the hybrid first stage (dev sets)");
        report.Line();
        report.Line($"Feedback ranking: the default hybrid; {rm3Grid.Count} RM3 settings x {rocchioGrid.Count} Rocchio settings (alpha 1), each alone and together. "
                    + "nDCG@10, mean over each dev set's queries.");
        report.Line();
        var ranked = scores.Keys.Where(v => v != "hybrid").OrderByDescending(v => names.Average(n => Gain(v, n))).ToList();
        report.Table(["setting", .. names, "mean gain", "dev sets gained"],
            new[] { "hybrid" }.Concat(ranked.Take(10))
                .Concat(ranked.Where(v => !v.Contains(" + ", StringComparison.Ordinal)).Take(3))
                .Select(v => (IReadOnlyList<string>)[v, .. names.Select(n => Report.F(scores[v][n].Average(), 4)),
                    Report.F(names.Average(n => Gain(v, n)), 4), $"{names.Count(n => Gain(v, n) > 0)}/{names.Count}"]));
        report.Line();
        foreach (var (label, family) in new (string, Func<string, bool>)[]
                 {
                     ("every setting", _ => true),
                     ("RM3 alone", v => v.StartsWith("RM3", StringComparison.Ordinal) && !v.Contains(" + ", StringComparison.Ordinal)),
                     ("Rocchio alone", v => v.StartsWith("Rocchio", StringComparison.Ordinal)),
                 })
        {
            var candidates = ranked.Where(family).ToList();
            var held = names.Select(held =>
            {
                var chosen = candidates.MaxBy(v => names.Where(n => n != held).Sum(n => Gain(v, n)))!;
                return (Held: held, Chosen: chosen, Gain: Gain(chosen, held));
            }).ToList();
            report.Line($"Leave one dev set out, {label}: mean gain {Report.F(held.Average(h => h.Gain), 4)} ("
                        + string.Join("; ", held.Select(h => $"{h.Held} {h.Gain:+0.0000;-0.0000} with {h.Chosen}")) + ").");
            report.Line();
        }
    }
}
