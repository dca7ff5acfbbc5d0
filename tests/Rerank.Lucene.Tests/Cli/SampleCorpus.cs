using Rerank.Lucene.Indexing;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>The files of <c>corpora/sample</c>: 41 documents, 12 queries, 15 judgments.</summary>
internal static class SampleCorpus
{
    public static string Folder { get; } = Path.Combine(TestPaths.RepoRoot, "corpora", "sample");
    public static string Corpus { get; } = Path.Combine(Folder, "corpus.jsonl");
    public static string Queries { get; } = Path.Combine(Folder, "queries.jsonl");
    public static string Qrels { get; } = Path.Combine(Folder, "qrels", "test.tsv");

    /// <summary>Lines in corpus.jsonl, one document each.</summary>
    public const int DocumentCount = 41;

    /// <summary>Queries q1..q12 each have at least one judgment of 1 or more.</summary>
    public const int JudgedQueryCount = 12;
}

/// <summary>
/// The sample corpus indexed once (through the library, with the command's defaults) for tests
/// that search it; read-only for them.
/// </summary>
public sealed class SampleIndexFixture : IDisposable
{
    private readonly TempFolder _folder = new("cli-sample-idx");

    public SampleIndexFixture()
    {
        Index = _folder.Combine("idx");
        IndexBuilder.Build(CorpusReader.ReadJsonl(SampleCorpus.Corpus), Index, new IndexOptions(Source: SampleCorpus.Corpus));
    }

    /// <summary>The index folder.</summary>
    public string Index { get; }

    public void Dispose() => _folder.Dispose();
}
