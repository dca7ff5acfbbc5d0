using Rerank.Lucene.Indexing;

namespace Rerank.Training.Data;

/// <summary>
/// The documents of the index, by id. Readers resolve <c>*_id</c> fields through it, the miner
/// draws random corpus negatives from it and pseudo-queries are generated from it. Backed by
/// the Lucene index in production (<see cref="IndexDocumentStore"/>) and by a list in tests.
/// </summary>
public interface IDocumentStore
{
    /// <summary>Every document id, in a stable order (corpus order), so seeded sampling is reproducible.</summary>
    IReadOnlyList<string> DocIds { get; }

    /// <summary>The document with this id, or null when the index has none.</summary>
    CorpusDocument? Find(string docId);

    /// <summary>All documents in the order of <see cref="DocIds"/>.</summary>
    IEnumerable<CorpusDocument> Documents();
}
