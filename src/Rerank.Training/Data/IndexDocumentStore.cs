using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;

namespace Rerank.Training.Data;

/// <summary>
/// An <see cref="IDocumentStore"/> over an open <see cref="Bm25Searcher"/>. The id list is read once,
/// in corpus order, when the store is created; documents are read from the index on demand.
/// The searcher stays owned by the caller.
/// </summary>
internal sealed class IndexDocumentStore : IDocumentStore
{
    private readonly Bm25Searcher _searcher;

    /// <summary>A store over <paramref name="searcher"/>'s index.</summary>
    public IndexDocumentStore(Bm25Searcher searcher)
    {
        _searcher = searcher;
        DocIds = searcher.EnumerateDocuments().Select(d => d.Id).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<string> DocIds { get; }

    /// <inheritdoc />
    public CorpusDocument? Find(string docId) => _searcher.GetDocument(docId);

    /// <inheritdoc />
    public IEnumerable<CorpusDocument> Documents() => _searcher.EnumerateDocuments();
}
