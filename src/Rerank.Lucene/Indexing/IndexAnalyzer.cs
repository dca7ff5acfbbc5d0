using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Util;

namespace Rerank.Lucene.Indexing;

/// <summary>
/// The analyzer used for indexing and for bag-of-words queries.
/// </summary>
/// <remarks>
/// Lucene.Net's <see cref="EnglishAnalyzer"/> with <see cref="LuceneVersion.LUCENE_48"/> builds this chain
/// (read from its <c>CreateComponents</c>): StandardTokenizer, StandardFilter, EnglishPossessiveFilter,
/// LowerCaseFilter, StopFilter(the 33 English stop words of <c>StopAnalyzer.ENGLISH_STOP_WORDS_SET</c>),
/// PorterStemFilter. Anserini's DefaultEnglishAnalyzer is StandardTokenizer, EnglishPossessiveFilter,
/// LowerCaseFilter, StopFilter(the same 33 words), PorterStemFilter. The differences: StandardFilter is a
/// no-op for LUCENE_31 and later; Anserini runs a newer Lucene whose StandardTokenizer follows a newer
/// Unicode (UAX#29) version, which can split rare scripts/emoji differently. A test checks this chain
/// token for token against one assembled by hand.
/// </remarks>
internal static class IndexAnalyzer
{
    /// <summary>The analyzer name recorded in the manifest.</summary>
    public const string Name = "lucene-english-porter-48";

    /// <summary>The Lucene compatibility version used everywhere.</summary>
    public const LuceneVersion Version = LuceneVersion.LUCENE_48;

    /// <summary>Creates the analyzer named <paramref name="name"/> (from a manifest).</summary>
    public static Analyzer Create(string name, string indexDir) => name == Name
        ? new EnglishAnalyzer(Version)
        : throw new InvalidInputException(
            $"Index '{indexDir}' was built with analyzer '{name}'; this version of SearchRerank knows only '{Name}'. "
            + $"Rebuild the index with `search-host index --corpus ... --index {indexDir} --overwrite`.", indexDir);
}
