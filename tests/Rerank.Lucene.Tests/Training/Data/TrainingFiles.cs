using Rerank.Lucene.Indexing;
using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

/// <summary>Temporary input files and a tiny in-memory index for the training-data tests.</summary>
internal static class TrainingFiles
{
    /// <summary>Writes <paramref name="lines"/> to a fresh file named <paramref name="name"/> and returns its path.</summary>
    public static string Write(string name, params string[] lines)
    {
        var path = Path.Combine(TestPaths.NewTempDir("srr-train"), name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    /// <summary>Four documents: d1 and d2 with titles, d3 without, d4 with an empty text.</summary>
    public static InMemoryDocumentStore Store() => new(
    [
        new CorpusDocument("d1", "Aspirin.", "It thins blood."),
        new CorpusDocument("d2", "Coffee", "Caffeine keeps you awake."),
        new CorpusDocument("d3", "", "Sleep restores the brain."),
        new CorpusDocument("d4", "Only a title", ""),
    ]);
}
