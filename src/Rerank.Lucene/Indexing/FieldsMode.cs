namespace Rerank.Lucene.Indexing;

/// <summary>How the title and text of a document are made searchable.</summary>
public enum FieldsMode
{
    /// <summary>
    /// Title and text are analysed together into one <c>contents</c> field, as in Anserini's
    /// BEIR "flat" indexes (SciFact nDCG@10 0.679). The default.
    /// </summary>
    Flat = 0,

    /// <summary>
    /// Title and text are separate searchable fields (<c>title</c> and <c>contents</c>), each with
    /// its own length normalisation; a query matches both with equal weight, as in Anserini's BEIR
    /// "multifield" indexes (SciFact nDCG@10 0.665).
    /// </summary>
    Multifield = 1,
}
