namespace Rerank.Training.Data;

/// <summary>An <see cref="IDocumentStore"/> over a list of documents held in memory (tests, small corpora).</summary>
internal sealed class InMemoryDocumentStore : IDocumentStore
{
    private readonly Dictionary<string, CorpusDocument> _byId;

    /// <summary>Holds <paramref name="documents"/> in the given order; ids must be unique.</summary>
    public InMemoryDocumentStore(IEnumerable<CorpusDocument> documents)
    {
        var list = documents.ToList();
        _byId = new Dictionary<string, CorpusDocument>(StringComparer.Ordinal);
        foreach (var d in list)
        {
            if (!_byId.TryAdd(d.DocId, d)) throw new ArgumentException($"Duplicate document id '{d.DocId}'.", nameof(documents));
        }
        DocIds = list.Select(d => d.DocId).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<string> DocIds { get; }

    /// <inheritdoc />
    public CorpusDocument? Find(string docId) => _byId.GetValueOrDefault(docId);
}
