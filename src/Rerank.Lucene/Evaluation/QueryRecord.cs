namespace Rerank.Lucene.Evaluation;

/// <summary>One query of a BEIR <c>queries.jsonl</c> file.</summary>
/// <param name="Id">The query id (<c>_id</c>), as it appears in the qrels; never empty,
/// never contains whitespace (run files and qrels separate columns by whitespace).</param>
/// <param name="Text">The query text (<c>text</c>); never empty or only whitespace.</param>
public sealed record QueryRecord(string Id, string Text);
