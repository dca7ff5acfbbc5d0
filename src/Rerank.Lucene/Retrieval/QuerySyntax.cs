namespace Rerank.Lucene.Retrieval;

/// <summary>How <see cref="Bm25Searcher.Search"/> reads a query string.</summary>
public enum QuerySyntax
{
    /// <summary>
    /// Natural language (the default): the text is analysed like the documents and every distinct term
    /// becomes an optional clause weighted by its count in the query (Anserini's BagOfWordsQueryGenerator).
    /// No character is special, so no query can fail to parse.
    /// </summary>
    BagOfWords = 0,

    /// <summary>Full Lucene syntax (classic QueryParser: fields, phrases, AND/OR/NOT, wildcards, boosts).
    /// A query that does not parse is an <see cref="InvalidInputException"/>.</summary>
    Lucene = 1,
}
