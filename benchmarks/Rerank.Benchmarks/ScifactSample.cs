using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;

namespace Rerank.Benchmarks;

/// <summary>
/// Real (claim, abstract) pairs from SciFact: the first <c>queries</c> query ids of qrels/test.tsv
/// in file order, each with its judged-relevant abstracts plus seeded random abstracts up to
/// <c>docsPerQuery</c> candidates (a stand-in for BM25 candidates: the lengths are real, which is
/// what the speed depends on). Document text is <see cref="DocumentText.Join"/>(title, text), as the
/// reranker sees it.
/// </summary>
internal sealed class ScifactSample
{
    private ScifactSample(IReadOnlyList<Query> queries, IReadOnlyList<string> corpusTexts)
    {
        Queries = queries;
        CorpusTexts = corpusTexts;
    }

    /// <summary>One query and its candidate documents (relevant first, then random).</summary>
    public sealed record Query(string Id, string Text, IReadOnlyList<string> Documents);

    /// <summary>The sampled queries in qrels order.</summary>
    public IReadOnlyList<Query> Queries { get; }

    /// <summary>Every corpus document's text, in corpus order (filler for exact-length pairs).</summary>
    public IReadOnlyList<string> CorpusTexts { get; }

    /// <summary>All (query, document) pairs, query by query.</summary>
    public List<(string Query, string Document)> Pairs() =>
        Queries.SelectMany(q => q.Documents.Select(d => (q.Text, d))).ToList();

    public static ScifactSample Load(string folder, int queries, int docsPerQuery, int seed)
    {
        var queryText = File.ReadLines(Path.Combine(folder, "queries.jsonl"))
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
            .ToDictionary(e => e.GetProperty("_id").GetString()!, e => e.GetProperty("text").GetString()!, StringComparer.Ordinal);
        var corpus = CorpusReader.ReadJsonl(Path.Combine(folder, "corpus.jsonl")).ToList();
        var textById = corpus.ToDictionary(d => d.Id, d => DocumentText.Join(d.Title, d.Text), StringComparer.Ordinal);
        var corpusTexts = corpus.Select(d => textById[d.Id]).ToList();

        // qrels/test.tsv: header, then "query-id<TAB>corpus-id<TAB>score".
        var relevant = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var line in File.ReadLines(Path.Combine(folder, "qrels", "test.tsv")).Skip(1))
        {
            var parts = line.Split('\t');
            if (parts.Length < 3 || int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture) <= 0) continue;
            if (!relevant.TryGetValue(parts[0], out var docs))
            {
                relevant[parts[0]] = docs = [];
                order.Add(parts[0]);
            }
            docs.Add(parts[1]);
        }

        var random = new Random(seed);
        var sampled = new List<Query>();
        foreach (var id in order.Take(queries))
        {
            var chosen = relevant[id].Where(textById.ContainsKey).Take(docsPerQuery).ToList();
            var taken = new HashSet<string>(chosen, StringComparer.Ordinal);
            while (chosen.Count < docsPerQuery)
            {
                var candidate = corpus[random.Next(corpus.Count)].Id;
                if (taken.Add(candidate)) chosen.Add(candidate);
            }
            sampled.Add(new Query(id, queryText[id], chosen.Select(d => textById[d]).ToList()));
        }
        return new ScifactSample(sampled, corpusTexts);
    }
}
