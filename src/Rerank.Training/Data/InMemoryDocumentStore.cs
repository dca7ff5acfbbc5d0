using Rerank.Lucene.Indexing;

namespace Rerank.Training.Data;

/// <summary>An <see cref="IDocumentStore"/> over a list of documents held in memory (tests, small corpora).</summary>
internal sealed class InMemoryDocumentStore : IDocumentStore
{
    private readonly CorpusDocument[] _documents;
    private readonly Dictionary<string, CorpusDocument> _byId = new(StringComparer.Ordinal);

    /// <summary>Holds <paramref name="documents"/> in the given order; ids must be unique.</summary>
    public InMemoryDocumentStore(IEnumerable<CorpusDocument> documents)
    {
        _documents = documents.ToArray();
        foreach (var d in _documents)
        {
            if (!_byId.TryAdd(d.Id, d)) throw new ArgumentException($"Duplicate document id '{d.Id}'.", nameof(documents));
        }
        DocIds = _documents.Select(d => d.Id).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<string> DocIds { get; }

    /// <inheritdoc />
    public CorpusDocument? Find(string docId) => _byId.GetValueOrDefault(docId);

    /// <inheritdoc />
    public IEnumerable<CorpusDocument> Documents() => _documents;
}
