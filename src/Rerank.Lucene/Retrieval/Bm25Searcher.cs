using Lucene.Net.Analysis;
using Lucene.Net.Index;
using Lucene.Net.QueryParsers.Classic;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Rerank.Lucene.Indexing;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Rerank.Lucene.Retrieval;

/// <summary>
/// BM25 search over an index built by <see cref="IndexBuilder"/>, with the analyzer, k1, b and fields
/// taken from its <see cref="IndexManifest"/>. Safe for many concurrent callers (a Lucene
/// <see cref="SearcherManager"/> hands out searchers). Dispose it when done. When the index is rebuilt in
/// place (by this or another process), the searcher switches to the new build before its next operation
/// and raises <see cref="Reopened"/>, unless opened with <c>reopenWhenRebuilt: false</c>.
/// </summary>
/// <remarks>
/// Ranking is deterministic: hits are ordered by score rounded to 6 decimals (as printed in TREC run
/// files) descending, then by <see cref="SearchHit.DocId"/> descending, trec_eval's tie rule
/// (<see cref="RankingOrder"/>), so a run file written from these hits is read by trec_eval in this order. Lucene itself breaks ties by internal doc number, so a tie that straddles the k-th
/// place could otherwise drop the wrong document: <see cref="Search"/> therefore fetches k + 10 hits
/// and, while the last fetched hit still ties with the k-th, fetches twice as many, before sorting
/// and cutting at k. <see cref="SearchHit.Score"/> keeps the unrounded value.
/// </remarks>
/// <example>
/// <code>
/// using var searcher = Bm25Searcher.Open("./idx");
/// foreach (var hit in searcher.Search("what makes bread rise?", k: 10))
///     Console.WriteLine($"{hit.Rank} {hit.DocId} {hit.Score:F4} {hit.Title}");
/// </code>
/// </example>
public sealed class Bm25Searcher : ICandidateRetriever, IDisposable
{
    private const int TieMargin = 10;
    private readonly string _indexDir;
    private readonly bool _reopen;
    private readonly System.Threading.Lock _reopenGate = new();
    private IndexView _view;
    private int _disposed;

    private Bm25Searcher(string indexDir, IndexView view, bool reopen)
    {
        _indexDir = indexDir;
        _view = view;
        _reopen = reopen;
    }

    /// <summary>The manifest of the open index (of the rebuilt one once it has been reopened).</summary>
    public IndexManifest Manifest => Volatile.Read(ref _view).Manifest;

    /// <summary>The number of documents in the open index.</summary>
    public int DocumentCount => Volatile.Read(ref _view).DocumentCount;

    /// <summary>
    /// Raised (on the searching thread) when the searcher noticed that the index folder was replaced by a
    /// new build, e.g. <c>search-host index --overwrite</c> in another process, and reopened it.
    /// </summary>
    public event EventHandler<IndexReopenedEventArgs>? Reopened;

    /// <summary>Whether operations reopen the index by themselves when it was rebuilt or updated (<c>reopenWhenRebuilt</c> of <see cref="Open"/>).</summary>
    internal bool ReopensWhenRebuilt => _reopen;

    /// <summary>The index folder this searcher opened.</summary>
    public string IndexDirectory => _indexDir;

    /// <inheritdoc/>
    string ICandidateRetriever.Name => "bm25";

    /// <inheritdoc/>
    IReadOnlyList<SearchHit> ICandidateRetriever.Search(string query, int k) => Search(query, k);

    /// <inheritdoc/>
    IReadOnlyList<RankedDocument> ICandidateRetriever.Rank(string query, int k) => Rank(query, k);

    /// <summary>Every document id in Lucene document (= corpus) order, read from the id column.</summary>
    internal string[] DocumentIdsInOrder() => WithSearcher((_, searcher) => IndexUpdater.IdsInOrder(searcher.IndexReader));

    /// <summary>Opens the index in <paramref name="indexDir"/>.</summary>
    /// <param name="indexDir">A folder written by <see cref="IndexBuilder.Build"/>.</param>
    /// <param name="reopenWhenRebuilt">
    /// True (default): before each operation, check (one file-system stat) whether the index was rebuilt in
    /// place and if so switch to the new one, raising <see cref="Reopened"/>; operations already running
    /// finish on the old one. False: keep reading the index as it was when opened (its files stay readable
    /// after a rebuild), e.g. for an evaluation or training run that must see one index throughout.
    /// </param>
    /// <returns>The searcher; dispose it.</returns>
    /// <exception cref="InvalidInputException">The folder is missing, has no manifest or no Lucene index,
    /// or was built by an incompatible version.</exception>
    public static Bm25Searcher Open(string indexDir, bool reopenWhenRebuilt = true)
    {
        ArgumentNullException.ThrowIfNull(indexDir);
        return new Bm25Searcher(indexDir, IndexView.Open(indexDir), reopenWhenRebuilt);
    }

    /// <summary>
    /// Checks now whether the index folder holds a newer build than the one open and, if so, reopens it
    /// (raising <see cref="Reopened"/>). Returns whether it reopened. Operations call this themselves
    /// unless the searcher was opened with <c>reopenWhenRebuilt: false</c>.
    /// </summary>
    public bool ReopenIfRebuilt()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var current = Volatile.Read(ref _view);
        if (IndexView.ReadStamp(_indexDir) is not { } stamp || stamp == current.Stamp) return false;
        IndexReopenedEventArgs args;
        lock (_reopenGate)
        {
            current = Volatile.Read(ref _view);
            if (stamp == current.Stamp || Volatile.Read(ref _disposed) == 1) return false;
            IndexView fresh;
            try
            {
                fresh = IndexView.Open(_indexDir);
            }
            catch (Exception e) when (e is InvalidInputException or IOException or UnauthorizedAccessException)
            {
                // Caught in the middle of a swap (or a broken build): keep searching the open index, look again next time.
                return false;
            }
            Volatile.Write(ref _view, fresh);
            current.Release();
            args = new IndexReopenedEventArgs(_indexDir, current.DocumentCount, fresh.Manifest, current.Manifest);
        }
        Reopened?.Invoke(this, args);
        return true;
    }

    /// <summary>
    /// Makes the changes committed since this searcher opened the index visible: a rebuild (<see cref="IndexBuilder.Build"/>
    /// with overwrite) or an update (<see cref="IndexUpdater"/>), by this or another process. Cheap when nothing changed
    /// (one stat of the manifest). Searches already running finish on what they started with. Returns whether it reopened.
    /// The same as <see cref="ReopenIfRebuilt"/>, which every operation calls first unless the searcher was opened with
    /// <c>reopenWhenRebuilt: false</c>; such a searcher sees changes only after this call.
    /// </summary>
    public bool Refresh() => ReopenIfRebuilt();

    /// <summary>The current view, retained: release it when done.</summary>
    private IndexView Retain()
    {
        if (_reopen) ReopenIfRebuilt();
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
            var view = Volatile.Read(ref _view);
            if (view.TryRetain()) return view;
            // Released by a reopen between the read and the retain: the next read sees the new view.
        }
    }

    /// <summary>Runs <paramref name="body"/> with a Lucene searcher of the current view.</summary>
    private T WithSearcher<T>(Func<IndexView, IndexSearcher, T> body)
    {
        var view = Retain();
        try
        {
            var searcher = view.Manager.Acquire();
            try
            {
                return body(view, searcher);
            }
            finally
            {
                view.Manager.Release(searcher);
            }
        }
        finally
        {
            view.Release();
        }
    }

    /// <summary>Searches the index and returns the top <paramref name="k"/> hits with their stored text.</summary>
    /// <param name="query">The query text; in <see cref="QuerySyntax.BagOfWords"/> any characters are allowed.</param>
    /// <param name="k">How many hits at most (&gt;= 1).</param>
    /// <param name="syntax">How to read <paramref name="query"/>; default <see cref="QuerySyntax.BagOfWords"/>.</param>
    /// <param name="filter">Conditions on kept fields that every hit meets, applied before the top k is taken; null: none.</param>
    /// <returns>Hits ranked 1..n (n &lt;= k); empty when nothing matches or the query has only stop words.</returns>
    /// <exception cref="InvalidInputException">The query is empty or whitespace, or does not parse as Lucene syntax, or the filter names
    /// a field the index does not keep or a value not of the field's type.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    public IReadOnlyList<SearchHit> Search(string query, int k, QuerySyntax syntax = QuerySyntax.BagOfWords, DocumentFilter? filter = null) =>
        Run(query, k, syntax, filter, (searcher, hits) =>
        {
            var result = new List<SearchHit>(hits.Count);
            foreach (var h in hits)
            {
                var d = searcher.Doc(h.Doc);
                result.Add(new SearchHit(result.Count + 1, h.Id, h.Score, d.Get(IndexFields.Title) ?? "", d.Get(IndexFields.Text) ?? ""));
            }
            return result;
        });

    /// <summary>
    /// Ranks like <see cref="Search"/> but returns only ids and scores, without reading stored
    /// fields: much faster for deep runs such as evaluation at depth 1,000.
    /// </summary>
    /// <inheritdoc cref="Search" path="/param"/>
    /// <returns>Documents ranked 1..n (n &lt;= k), in the same order <see cref="Search"/> returns.</returns>
    /// <exception cref="InvalidInputException">The query is empty or whitespace, or does not parse as Lucene syntax, or the filter is
    /// not valid for this index.</exception>
    public IReadOnlyList<RankedDocument> Rank(string query, int k, QuerySyntax syntax = QuerySyntax.BagOfWords, DocumentFilter? filter = null) =>
        Run(query, k, syntax, filter, (_, hits) => hits.Select((h, i) => new RankedDocument(i + 1, h.Id, h.Score)).ToList());

    /// <summary>
    /// BM25 with RM3 query expansion (<see cref="Rm3Options"/>): the relevance model is estimated from the first
    /// <see cref="Rm3Options.FeedbackDocuments"/> of <paramref name="feedback"/> (any first stage's ranking of this query; each
    /// document weighted by its score there, as Anserini weights by the BM25 score), their stored title and text analysed as
    /// the index analyses its contents field; the expanded query (the original terms and the feedback terms, each boosted by
    /// its weight) is then searched like <see cref="Rank"/>, with the same tie rule and filter.
    /// </summary>
    /// <param name="query">The query text, read as bag of words.</param>
    /// <param name="feedback">Documents of this index ranked for <paramref name="query"/>, best first; scores must be finite
    /// (negative ones count as 0). Ids no longer in the index are skipped.</param>
    /// <param name="k">How many hits at most (&gt;= 1).</param>
    /// <param name="options">Null for Anserini's defaults.</param>
    /// <param name="filter">Conditions every hit meets; null: none.</param>
    /// <returns>Documents ranked 1..n (n &lt;= k); empty when the query has no terms after analysis.</returns>
    /// <exception cref="InvalidInputException">The query is empty, an option is out of range, or the filter is not valid for this index.</exception>
    public IReadOnlyList<RankedDocument> RankWithFeedback(string query, IReadOnlyList<RankedDocument> feedback, int k, Rm3Options? options = null,
        DocumentFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(feedback);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        options ??= new Rm3Options();
        options.Validate();
        if (string.IsNullOrWhiteSpace(query))
            throw new InvalidInputException("Expected a query with at least one word, found an empty query. Type some words to search for.");
        return WithSearcher((view, searcher) =>
        {
            Filter? luceneFilter = filter is { Conditions.Count: > 0 } ? new QueryWrapperFilter(filter.ToQuery(view.Manifest, _indexDir)) : null;
            var queryTerms = BagOfWordsQuery.CountTerms(view.Analyzer, view.Fields[^1], query);
            if (queryTerms.Count == 0) return (IReadOnlyList<RankedDocument>)[];
            var reader = searcher.IndexReader;
            var documents = new List<(IReadOnlyList<KeyValuePair<string, int>> Terms, double Weight)>();
            foreach (var hit in feedback.Take(options.FeedbackDocuments))
            {
                var top = searcher.Search(new TermQuery(new Term(IndexFields.Id, hit.DocId)), 1);
                if (top.ScoreDocs.Length == 0) continue;
                var stored = searcher.Doc(top.ScoreDocs[0].Doc);
                string title = stored.Get(IndexFields.Title) ?? "", text = stored.Get(IndexFields.Text) ?? "";
                var contents = view.Fields.Length == 1 && title.Length > 0 ? title + "\n" + text : text;
                documents.Add((BagOfWordsQuery.CountTerms(view.Analyzer, IndexFields.Contents, contents), Math.Max(0, (double)hit.Score)));
            }
            var count = Math.Max(1, reader.NumDocs);
            bool IsFeedbackTerm(string term) =>
                Rm3.HasFeedbackShape(term) && (double)reader.DocFreq(new Term(IndexFields.Contents, term)) / count <= options.MaxDocumentFrequency;
            var expanded = Rm3.Expand(queryTerms, documents, IsFeedbackTerm, options);
            var luceneQuery = BagOfWordsQuery.Weighted(view.Fields, expanded);
            return luceneQuery is null ? [] : Collect(searcher, luceneQuery, luceneFilter, k).Select((h, i) => new RankedDocument(i + 1, h.Id, h.Score)).ToList();
        });
    }

    /// <summary>
    /// The best passages of <paramref name="text"/> (a hit's <see cref="SearchHit.Text"/>) for <paramref name="query"/>, with the
    /// query's terms marked and their offsets, by Lucene's highlighter (<see cref="global::Lucene.Net.Search.Highlight.Highlighter"/> with a
    /// <see cref="global::Lucene.Net.Search.Highlight.QueryScorer"/>), analysing the text as the index does. Works for a hit of any first stage.
    /// </summary>
    /// <param name="query">The query as searched.</param>
    /// <param name="text">The document text to take passages from.</param>
    /// <param name="options">Fragment count, size and tags; null for the defaults.</param>
    /// <param name="syntax">How <paramref name="query"/> was read.</param>
    /// <returns>Up to <see cref="HighlightOptions.MaxFragments"/> passages, best first; empty when no query term occurs in the text.</returns>
    /// <exception cref="InvalidInputException">The query is empty or does not parse, or an option is out of range.</exception>
    public IReadOnlyList<HighlightFragment> Highlight(string query, string text, HighlightOptions? options = null, QuerySyntax syntax = QuerySyntax.BagOfWords)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(text);
        options ??= new HighlightOptions();
        if (options.MaxFragments < 1 || options.FragmentSize < 1)
            throw new InvalidInputException($"Highlights need at least 1 fragment of at least 1 character; got {options.MaxFragments} of {options.FragmentSize}.");
        if (string.IsNullOrWhiteSpace(query))
            throw new InvalidInputException("Expected a query with at least one word, found an empty query. Type some words to search for.");
        return WithSearcher((view, _) =>
        {
            var luceneQuery = syntax == QuerySyntax.Lucene ? ParseLucene(view, query) : BagOfWordsQuery.Build(view.Analyzer, view.Fields, query);
            if (luceneQuery is null || text.Length == 0) return (IReadOnlyList<HighlightFragment>)[];
            // The text is indexed in the contents field (with the title in flat mode): score its terms as that field's.
            var scorer = new global::Lucene.Net.Search.Highlight.QueryScorer(luceneQuery, IndexFields.Contents);
            var highlighter = new global::Lucene.Net.Search.Highlight.Highlighter(new RecordingFormatter(), scorer)
            {
                TextFragmenter = new global::Lucene.Net.Search.Highlight.SimpleSpanFragmenter(scorer, options.FragmentSize),
                MaxDocCharsToAnalyze = int.MaxValue,
            };
            var clean = RecordingFormatter.Clean(text);
            using var tokens = view.Analyzer.GetTokenStream(IndexFields.Contents, clean);
            // Every fragment, not only the best: together they tile the text, which gives each its offsets.
            var all = highlighter.GetBestTextFragments(tokens, clean, false, clean.Length / options.FragmentSize + 4);
            return RecordingFormatter.Fragments(all, options);
        });
    }

    /// <summary>The ids of every document that meets <paramref name="filter"/> (for the dense stage, which filters its own scores).</summary>
    /// <exception cref="InvalidInputException">The filter is not valid for this index.</exception>
    internal HashSet<string> MatchingIds(DocumentFilter filter) => WithSearcher((view, searcher) =>
    {
        var query = filter.ToQuery(view.Manifest, _indexDir);
        var reader = searcher.IndexReader;
        var top = searcher.Search(new ConstantScoreQuery(query), Math.Max(1, reader.MaxDoc));
        var column = MultiDocValues.GetBinaryValues(reader, IndexFields.Id);
        var bytes = new BytesRef();
        var ids = new HashSet<string>(top.ScoreDocs.Length, StringComparer.Ordinal);
        foreach (var sd in top.ScoreDocs)
        {
            column.Get(sd.Doc, bytes);
            ids.Add(bytes.Utf8ToString());
        }
        return ids;
    });

    private IReadOnlyList<T> Run<T>(string query, int k, QuerySyntax syntax, DocumentFilter? filter,
        Func<IndexSearcher, List<(int Doc, float Score, string Id)>, IReadOnlyList<T>> materialize)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (string.IsNullOrWhiteSpace(query))
        {
            throw new InvalidInputException("Expected a query with at least one word, found an empty query. Type some words to search for.");
        }
        return WithSearcher((view, searcher) =>
        {
            // The filter is checked first, so a bad one is reported even for a query of stop words only.
            Filter? luceneFilter = filter is { Conditions.Count: > 0 } ? new QueryWrapperFilter(filter.ToQuery(view.Manifest, _indexDir)) : null;
            var luceneQuery = syntax == QuerySyntax.Lucene ? ParseLucene(view, query) : BagOfWordsQuery.Build(view.Analyzer, view.Fields, query);
            return luceneQuery is null ? [] : materialize(searcher, Collect(searcher, luceneQuery, luceneFilter, k));
        });
    }

    private static List<(int Doc, float Score, string Id)> Collect(IndexSearcher searcher, Query query, Filter? filter, int k)
    {
        var n = k + TieMargin;
        while (true)
        {
            // With a filter, Lucene scores only the documents that pass it: the top n are the best n that pass.
            var top = searcher.Search(query, filter, n);
            var fetched = top.ScoreDocs;
            var complete = fetched.Length >= top.TotalHits;
            if (!complete && fetched.Length > k && Round(fetched[^1].Score) == Round(fetched[k - 1].Score))
            {
                // The k-th and the last fetched hit tie: more hits may share that score. Fetch more.
                n = (int)Math.Min((long)n * 2, int.MaxValue - 1);
                continue;
            }
            // An index whose documents were all deleted has no id column, and no hits.
            if (fetched.Length == 0) return [];
            var ids = MultiDocValues.GetBinaryValues(searcher.IndexReader, IndexFields.Id)
                ?? throw new InvalidInputException(
                    "This index has no id column (doc values): it was built by an older development version. Rebuild it with `search-host index ... --overwrite`.");
            var bytes = new BytesRef();
            return fetched
                .Select(sd =>
                {
                    ids.Get(sd.Doc, bytes);
                    return (sd.Doc, sd.Score, Id: bytes.Utf8ToString());
                })
                .OrderByDescending(h => Round(h.Score))
                .ThenBy(h => h.Id, RankingOrder.TieBreak)
                .Take(k)
                .ToList();
        }
    }

    /// <summary>The score as ranked: its value printed with the run files' 6 decimals, so search results and run files agree.</summary>
    internal static double Round(float score) => Evaluation.TrecRunWriter.PrintedValue(score);

    private static Query? ParseLucene(IndexView view, string query)
    {
        QueryParser parser = view.Fields.Length == 1
            ? new QueryParser(IndexAnalyzer.Version, view.Fields[0], view.Analyzer)
            : new MultiFieldQueryParser(IndexAnalyzer.Version, view.Fields, view.Analyzer);
        try
        {
            return parser.Parse(query);
        }
        catch (ParseException e) when (IsTooManyClauses(e))
        {
            // Valid syntax, but more terms than one BooleanQuery may hold; the parser wraps the limit as a parse error.
            var terms = BagOfWordsQuery.CountTerms(view.Analyzer, view.Fields[^1], query).Sum(t => t.Value);
            throw new InvalidInputException(
                $"The query has {terms:N0} terms after analysis ({query.Length:N0} characters); with --lucene-syntax each term is a clause of one " +
                $"boolean query, and Lucene allows at most {BooleanQuery.MaxClauseCount:N0}. Shorten the query to {BooleanQuery.MaxClauseCount:N0} terms " +
                "or fewer, group terms in parentheses (each group counts once), or drop --lucene-syntax: a plain query has no such limit.", inner: e);
        }
        catch (ParseException e)
        {
            throw new InvalidInputException(
                $"Cannot parse '{Utf8LineReader.Excerpt(query)}' as Lucene query syntax: {DescribeParseError(e, query)}. "
                + "Fix the syntax, or drop --lucene-syntax to search the text as plain words.", inner: e);
        }
        catch (BooleanQuery.TooManyClausesException e)
        {
            throw new InvalidInputException(
                $"Query '{Utf8LineReader.Excerpt(query)}' expands to more than {BooleanQuery.MaxClauseCount} terms. Use a longer prefix or fewer wildcards.", inner: e);
        }
    }

    private static bool IsTooManyClauses(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is BooleanQuery.TooManyClausesException) return true;
        }
        return false;
    }

    /// <summary>"unexpected 'X' at column N" from the parser's token (Lucene.Net wraps the parser's own
    /// exception, which holds the token, in another); else the lexer's message, e.g. for an unclosed quote.</summary>
    private static string DescribeParseError(ParseException e, string query)
    {
        var inner = e.CurrentToken is null && e.InnerException is ParseException p ? p : e;
        if (inner.CurrentToken?.Next is { } token)
        {
            return token.Kind == 0
                ? $"unexpected end of query at column {query.Length + 1}"
                : $"unexpected '{token.Image}' at column {token.BeginColumn + 1}"; // FastCharStream columns are 0-based
        }
        var message = (e.InnerException ?? e).Message;
        var firstLine = message.Split('\n', 2)[0].Trim().TrimEnd('.');
        return firstLine.Length == 0 ? "syntax error" : firstLine;
    }

    /// <summary>The stored document with id <paramref name="id"/>, or null when the index has none.</summary>
    /// <param name="id">The document id.</param>
    /// <returns>The document with its full stored text, or null.</returns>
    public CorpusDocument? GetDocument(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return GetDocuments([id]).GetValueOrDefault(id);
    }

    /// <summary>The stored documents for many ids at once; ids not in the index are absent from the result.</summary>
    /// <param name="ids">Document ids; duplicates are fine.</param>
    /// <returns>A dictionary from id to document.</returns>
    public IReadOnlyDictionary<string, CorpusDocument> GetDocuments(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return WithSearcher((_, searcher) =>
        {
            var result = new Dictionary<string, CorpusDocument>(StringComparer.Ordinal);
            foreach (var id in ids)
            {
                if (id is null || result.ContainsKey(id)) continue;
                var top = searcher.Search(new TermQuery(new Term(IndexFields.Id, id)), 1);
                if (top.ScoreDocs.Length == 1) result[id] = Load(searcher, top.ScoreDocs[0].Doc);
            }
            return result;
        });
    }

    /// <summary>
    /// The document at position <paramref name="index"/> in corpus order (0-based), for sampling, e.g.
    /// random negatives drawn with a seeded <see cref="Random"/>.
    /// </summary>
    /// <param name="index">0 to <see cref="DocumentCount"/> - 1.</param>
    /// <returns>The document.</returns>
    public CorpusDocument GetDocumentAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return WithSearcher((view, searcher) =>
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, view.DocumentCount);
            // No index holds deleted documents (builds merge to one segment; updates expunge deletions), so Lucene doc numbers are 0..count-1.
            return Load(searcher, index);
        });
    }

    /// <summary>All documents in corpus order, read lazily from the stored fields.</summary>
    /// <returns>A sequence that can be enumerated many times, also concurrently with searching.</returns>
    public IEnumerable<CorpusDocument> EnumerateDocuments()
    {
        var view = Retain();
        try
        {
            var searcher = view.Manager.Acquire();
            try
            {
                var reader = searcher.IndexReader;
                var live = MultiFields.GetLiveDocs(reader);
                for (var doc = 0; doc < reader.MaxDoc; doc++)
                {
                    if (live is not null && !live.Get(doc)) continue;
                    yield return Load(searcher, doc);
                }
            }
            finally
            {
                view.Manager.Release(searcher);
            }
        }
        finally
        {
            view.Release();
        }
    }

    private static CorpusDocument Load(IndexSearcher searcher, int doc)
    {
        var d = searcher.Doc(doc);
        return new CorpusDocument(d.Get(IndexFields.Id), d.Get(IndexFields.Title) ?? "", d.Get(IndexFields.Text) ?? "", KeptFields(d));
    }

    /// <summary>The kept corpus fields stored with a document; null when it has none.</summary>
    private static Dictionary<string, System.Text.Json.JsonElement>? KeptFields(global::Lucene.Net.Documents.Document d) =>
        d.Get(IndexFields.Kept) is { } json
            ? System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, System.Text.Json.JsonElement>>(json)
            : null;

    /// <summary>Closes the index.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        lock (_reopenGate)
        {
            Volatile.Read(ref _view).Release();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Bm25Searcher({_indexDir}, {DocumentCount} docs)";

    /// <summary>
    /// One opened build of the index: its manifest, analyzer and searcher manager, counted by the
    /// operations using it and closed when the last one ends after a reopen replaced it.
    /// </summary>
    private sealed class IndexView
    {
        private readonly LuceneDirectory _directory;
        private int _references = 1;

        private IndexView(IndexManifest manifest, LuceneDirectory directory, SearcherManager manager, Analyzer analyzer, (DateTime, DateTime, long)? stamp)
        {
            Manifest = manifest;
            _directory = directory;
            Manager = manager;
            Analyzer = analyzer;
            Fields = IndexFields.Searchable(manifest.FieldsMode);
            Stamp = stamp;
            var searcher = Manager.Acquire();
            try
            {
                DocumentCount = searcher.IndexReader.NumDocs;
            }
            finally
            {
                Manager.Release(searcher);
            }
        }

        public IndexManifest Manifest { get; }
        public SearcherManager Manager { get; }
        public Analyzer Analyzer { get; }
        public string[] Fields { get; }
        public int DocumentCount { get; }

        /// <summary>The manifest file's identity when opened: a rebuild writes a new file.</summary>
        public (DateTime, DateTime, long)? Stamp { get; }

        /// <summary>
        /// Modification time, birth time and length of the manifest, from one stat; null while it is
        /// missing (e.g. in the moment of a swap).
        /// </summary>
        public static (DateTime, DateTime, long)? ReadStamp(string indexDir)
        {
            var file = new FileInfo(Path.Combine(indexDir, IndexManifest.FileName));
            return file.Exists ? (file.LastWriteTimeUtc, file.CreationTimeUtc, file.Length) : null;
        }

        public static IndexView Open(string indexDir)
        {
            // The stamp first: if the index is replaced while we open it, the next check sees a newer one.
            var stamp = ReadStamp(indexDir);
            var manifest = IndexManifest.Read(indexDir);
            var analyzer = IndexAnalyzer.Create(manifest.Analyzer, indexDir);
            LuceneDirectory? directory = null;
            try
            {
                directory = FSDirectory.Open(indexDir);
                if (!DirectoryReader.IndexExists(directory))
                {
                    throw IndexManifest.NotAnIndex(indexDir, $"it has {IndexManifest.FileName} and no Lucene index files");
                }
                var manager = new SearcherManager(directory, new Bm25SearcherFactory(new BM25Similarity(manifest.K1, manifest.B)));
                return new IndexView(manifest, directory, manager, analyzer, stamp);
            }
            catch
            {
                directory?.Dispose();
                analyzer.Dispose();
                throw;
            }
        }

        public bool TryRetain()
        {
            while (true)
            {
                var count = Volatile.Read(ref _references);
                if (count == 0) return false;
                if (Interlocked.CompareExchange(ref _references, count + 1, count) == count) return true;
            }
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) != 0) return;
            Manager.Dispose();
            _directory.Dispose();
            Analyzer.Dispose();
        }
    }

    /// <summary>Gives every searcher the index's BM25 parameters.</summary>
    private sealed class Bm25SearcherFactory(Similarity similarity) : SearcherFactory
    {
        public override IndexSearcher NewSearcher(IndexReader reader) => new(reader) { Similarity = similarity };
    }
}

/// <summary>What <see cref="Bm25Searcher.Reopened"/> reports.</summary>
/// <param name="IndexDir">The index folder.</param>
/// <param name="PreviousDocumentCount">Documents in the build that was open before.</param>
/// <param name="Manifest">The manifest of the build now open.</param>
/// <param name="PreviousManifest">The manifest of the index that was open before; null when not known.</param>
public sealed record IndexReopenedEventArgs(string IndexDir, int PreviousDocumentCount, IndexManifest Manifest, IndexManifest? PreviousManifest = null)
{
    /// <summary>True when the index now open is the one open before, updated (<see cref="IndexUpdater"/>: the same first build,
    /// a later <see cref="IndexManifest.Generation"/>); false when it was rebuilt (or the previous manifest is not known).</summary>
    public bool Updated => PreviousManifest is { } before
        && Manifest.CorpusFingerprint == before.CorpusFingerprint && Manifest.CreatedUtc == before.CreatedUtc
        && Manifest.Generation > before.Generation;
}
