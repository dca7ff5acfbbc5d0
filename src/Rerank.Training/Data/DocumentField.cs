using System.Text.Json;
using Rerank.Lucene;
using Rerank.Lucene.Reranking;

namespace Rerank.Training.Data;

/// <summary>
/// Reads one document of a training row, given either inline as text (field <c>name</c>, e.g.
/// <c>"positive"</c>) or by its index id (field <c>name_id</c>, e.g. <c>"positive_id"</c>), which is
/// resolved through the index and joined with <see cref="DocumentText.Join"/>. Exactly one of the
/// two must be present.
/// </summary>
internal static class DocumentField
{
    /// <summary>The document in field <paramref name="name"/> or <c>{name}_id</c> of <paramref name="row"/>.</summary>
    public static TrainingDocument Read(JsonElement row, string name, IDocumentStore? store, string path, int line)
    {
        var idField = name + "_id";
        var text = JsonlFile.OptionalText(row, name, path, line, "the document text");
        var id = JsonlFile.OptionalId(row, idField, path, line);
        if (text is not null && id is not null)
            throw new InvalidInputException(
                $"'{path}' line {line}: both \"{name}\" and \"{idField}\" are given; give the text in \"{name}\" or the index id in \"{idField}\", not both.",
                path, line);
        if (text is not null) return new TrainingDocument(null, text);
        if (id is null)
            throw new InvalidInputException(
                $"'{path}' line {line}: missing field \"{name}\"; expected the document text in \"{name}\" or its index id in \"{idField}\".",
                path, line);
        if (store is null)
            throw new InvalidInputException(
                $"'{path}' line {line}: \"{idField}\" '{id}' refers to an index document, but no index was given; pass --index or give the text in \"{name}\".",
                path, line);
        var doc = store.Find(id)
            ?? throw new InvalidInputException(
                $"'{path}' line {line}: \"{idField}\" '{id}' is not a document of the index; check the id or give the text in \"{name}\".",
                path, line);
        return TrainingDocument.FromIndex(doc);
    }
}
