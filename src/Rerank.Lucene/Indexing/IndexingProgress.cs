namespace Rerank.Lucene.Indexing;

/// <summary>Progress of <see cref="IndexBuilder.Build"/>, reported every few thousand documents and once at the end.
/// Callers compute rate and ETA from these values.</summary>
/// <param name="DocumentsDone">Documents added to the index so far.</param>
/// <param name="TotalDocuments">The expected total when it is known cheaply (a collection's count, or the
/// number of non-blank lines / files of a <see cref="CorpusReader"/> source); null otherwise.</param>
/// <param name="Elapsed">Time since the build started.</param>
/// <param name="Stage">What the builder is doing: <c>"adding"</c>, <c>"merging"</c>, <c>"embedding"</c>
/// (then <see cref="DocumentsDone"/> counts documents embedded) or <c>"done"</c>.</param>
public sealed record IndexingProgress(long DocumentsDone, long? TotalDocuments, TimeSpan Elapsed, string Stage);
