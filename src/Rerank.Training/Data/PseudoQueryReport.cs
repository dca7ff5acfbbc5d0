namespace Rerank.Training.Data;

/// <summary>Counts of a pseudo-query run.</summary>
/// <param name="Documents">Documents read from the index.</param>
/// <param name="TitleQueries">Queries taken from titles.</param>
/// <param name="SpanQueries">Queries taken out of the text (inverse cloze).</param>
/// <param name="SkippedShort">Documents that needed an inverse-cloze sentence and had fewer than MinDocumentWords body words (a titled document still gave its title with titles or both).</param>
/// <param name="SkippedNoSpan">Documents that needed an inverse-cloze sentence and had no usable one (or only one sentence); with titles, a titled document still gave its title.</param>
/// <param name="Kept">Queries returned (after MaxQueries sampling).</param>
public sealed record PseudoQueryReport(int Documents, int TitleQueries, int SpanQueries, int SkippedShort, int SkippedNoSpan, int Kept);
