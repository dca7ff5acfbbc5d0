namespace Rerank.Training.Mining;

/// <summary>A query that got fewer negatives than asked for.</summary>
/// <param name="QueryId">The query.</param>
/// <param name="Wanted">Hard plus corpus negatives asked for.</param>
/// <param name="Got">Negatives found.</param>
public sealed record ShortQuery(string QueryId, int Wanted, int Got);
