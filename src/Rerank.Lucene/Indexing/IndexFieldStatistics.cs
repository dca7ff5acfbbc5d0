namespace Rerank.Lucene.Indexing;

/// <summary>Statistics of one searchable field, as Anserini reports them for regression checks.</summary>
/// <param name="UniqueTerms">Number of distinct terms in the field.</param>
/// <param name="TotalTerms">Total number of term occurrences (sum of document lengths after analysis).</param>
/// <param name="DocumentsWithField">Documents with at least one term in the field.</param>
public sealed record IndexFieldStatistics(long UniqueTerms, long TotalTerms, int DocumentsWithField);
