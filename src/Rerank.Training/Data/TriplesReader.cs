using Rerank.Lucene;
using Rerank.Lucene.Reranking;

namespace Rerank.Training.Data;

/// <summary>
/// Reads a triples file, one JSON object per line, as the Sentence Transformers guide writes it:
/// <c>{"query": "...", "positive": "...", "negative": "..."}</c>. Either document may instead be
/// an index id: <c>"positive_id"</c>, <c>"negative_id"</c> (resolved through the index and joined
/// with <see cref="DocumentText.Join"/>). An optional <c>"query_id"</c> names the query; otherwise
/// rows with the same query text share the id <c>L{first line}</c>.
/// </summary>
/// <example><c>{"query":"aspirin dose","positive_id":"d17","negative":"Ibuprofen is ..."}</c></example>
internal static class TriplesReader
{
    /// <summary>One <see cref="TrainingGroup"/> per line (one positive, one negative), in file order.</summary>
    /// <param name="path">The JSON-lines file.</param>
    /// <param name="store">The index documents, to resolve <c>*_id</c> fields; null when no index is given.</param>
    public static IReadOnlyList<TrainingGroup> Read(string path, IDocumentStore? store)
    {
        var ids = new QueryIds();
        var groups = new List<TrainingGroup>();
        foreach (var (line, row) in JsonlFile.ReadObjects(path))
        {
            var query = JsonlFile.RequiredText(row, "query", path, line, "the query text");
            var positive = DocumentField.Read(row, "positive", store, path, line);
            var negative = DocumentField.Read(row, "negative", store, path, line);
            groups.Add(new TrainingGroup(ids.For(row, query, path, line), query, [positive], [negative]));
        }
        if (groups.Count == 0)
            throw new InvalidInputException(
                $"'{path}' holds no triples; expected one JSON object per line with \"query\", \"positive\" and \"negative\".", path);
        return groups;
    }
}
