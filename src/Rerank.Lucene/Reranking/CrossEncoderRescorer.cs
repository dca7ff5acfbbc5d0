using Lucene.Net.Search;
using Rerank.Lucene.Indexing;

namespace Rerank.Lucene.Reranking;

/// <summary>
/// A Lucene <see cref="Rescorer"/> that rescores first-pass hits with a cross-encoder, so reranking
/// drops into existing Lucene.Net code: <c>rescorer.Rescore(searcher, searcher.Search(query, 100), 10)</c>.
/// Like Lucene's <c>QueryRescorer</c> it is made per query, since the cross-encoder reads the query text.
/// Documents must have the stored fields of a SearchRerank index (<c>id</c>, <c>title</c>, <c>text</c>).
/// </summary>
/// <example>
/// <code>
/// var rescorer = new CrossEncoderRescorer(encoder, "does vitamin D prevent fractures?");
/// TopDocs reranked = rescorer.Rescore(indexSearcher, indexSearcher.Search(bm25Query, 100), 10);
/// </code>
/// </example>
public sealed class CrossEncoderRescorer : Rescorer
{
    private readonly CrossEncoder _encoder;
    private readonly string _query;
    private readonly RerankOptions _options;
    private readonly ScoreMode _mode;
    private readonly double _weight;
    private readonly PassageOptions _passages;
    private (double Min, double Max)? _bm25Range;
    private (double Min, double Max)? _ceRange;

    /// <summary>Creates a rescorer for one query.</summary>
    /// <param name="encoder">The cross-encoder (not owned).</param>
    /// <param name="query">The user's query text.</param>
    /// <param name="options">Score mode and weight; <see cref="RerankOptions.Candidates"/> is not used here (the first pass decides).</param>
    public CrossEncoderRescorer(CrossEncoder encoder, string query, RerankOptions? options = null)
    {
        _encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        _query = query ?? throw new ArgumentNullException(nameof(query));
        _options = options ?? new RerankOptions();
        _mode = _options.ResolveMode(encoder);
        _weight = _options.ResolveWeight(encoder);
        _passages = _options.ResolvePassages(encoder);
    }

    /// <inheritdoc/>
    public override TopDocs Rescore(IndexSearcher searcher, TopDocs firstPassTopDocs, int topN)
    {
        ArgumentNullException.ThrowIfNull(searcher);
        ArgumentNullException.ThrowIfNull(firstPassTopDocs);
        var hits = firstPassTopDocs.ScoreDocs;
        if (hits.Length == 0) return firstPassTopDocs;
        var docs = hits.Select(h => searcher.Doc(h.Doc)).ToArray();
        var ceScores = PassageScorer.Score(_encoder, _query, docs.Select(d => ((string?)d.Get(IndexFields.Title), (string?)d.Get(IndexFields.Text))).ToList(), _passages);
        var bm25 = hits.Select(h => (double)h.Score).ToList();
        _bm25Range = (bm25.Min(), bm25.Max());
        _ceRange = (ceScores.Min(), ceScores.Max());
        var final = ScoreCombiner.Combine(bm25, ceScores, _mode, _weight);
        var ids = docs.Select(d => d.Get(IndexFields.Id) ?? "").ToArray();
        var rescored = Enumerable.Range(0, hits.Length)
            .OrderByDescending(i => final[i])
            .ThenBy(i => ids[i], RankingOrder.TieBreak)
            .Take(Math.Max(0, topN))
            .Select(i => new ScoreDoc(hits[i].Doc, (float)final[i], hits[i].ShardIndex))
            .ToArray();
        return new TopDocs(firstPassTopDocs.TotalHits, rescored, rescored.Length > 0 ? rescored[0].Score : float.NaN);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// In interpolate mode the normalisation uses the score ranges of this rescorer's last
    /// <see cref="Rescore"/> call, which the explanation states.
    /// </remarks>
    public override Explanation Explain(IndexSearcher searcher, Explanation firstPassExplanation, int docID)
    {
        ArgumentNullException.ThrowIfNull(searcher);
        ArgumentNullException.ThrowIfNull(firstPassExplanation);
        var doc = searcher.Doc(docID);
        var ce = (float)PassageScorer.Score(_encoder, _query, [(doc.Get(IndexFields.Title), doc.Get(IndexFields.Text))], _passages)[0];
        var ceExplanation = new Explanation(ce,
            $"cross-encoder score ({_passages}) of (query, document {doc.Get(IndexFields.Id)}) by {Path.GetFileName(Path.TrimEndingDirectorySeparator(_encoder.ModelPath))} ({_encoder.Activation} activation)");
        if (_mode == ScoreMode.Replace)
        {
            var replaced = new Explanation(ce, "cross-encoder rescore, mode replace: final score = cross-encoder score");
            replaced.AddDetail(ceExplanation);
            replaced.AddDetail(Describe(firstPassExplanation, "first pass (not used in the final score)"));
            return replaced;
        }
        if (_bm25Range is not { } b || _ceRange is not { } c)
        {
            var unknown = new Explanation(float.NaN, "cross-encoder rescore, mode interpolate: call Rescore first; normalisation needs the candidates' score ranges");
            unknown.AddDetail(ceExplanation);
            unknown.AddDetail(firstPassExplanation);
            return unknown;
        }
        var nb = b.Max > b.Min ? (firstPassExplanation.Value - b.Min) / (b.Max - b.Min) : 0;
        var nc = c.Max > c.Min ? (ce - c.Min) / (c.Max - c.Min) : 0;
        var final = (float)(_weight * nc + (1 - _weight) * nb);
        var result = new Explanation(final,
            $"cross-encoder rescore, mode interpolate: {_weight:0.###} * minmax(cross-encoder) + {1 - _weight:0.###} * minmax(first pass), ranges from the last Rescore");
        result.AddDetail(Describe((float)nc, $"minmax(cross-encoder) over [{c.Min:0.####}, {c.Max:0.####}]", ceExplanation));
        result.AddDetail(Describe((float)nb, $"minmax(first pass) over [{b.Min:0.####}, {b.Max:0.####}]", firstPassExplanation));
        return result;
    }

    private static Explanation Describe(Explanation inner, string description) => Describe(inner.Value, description, inner);

    private static Explanation Describe(float value, string description, Explanation inner)
    {
        var e = new Explanation(value, description);
        e.AddDetail(inner);
        return e;
    }
}
