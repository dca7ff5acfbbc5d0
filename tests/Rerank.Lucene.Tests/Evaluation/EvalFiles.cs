using System.Text;

namespace Rerank.Lucene.Tests.Evaluation;

/// <summary>Writes small input files for the evaluation tests into fresh temporary folders.</summary>
internal static class EvalFiles
{
    /// <summary>Writes <paramref name="content"/> as UTF-8 without a byte order mark; returns the path.</summary>
    public static string Text(string name, string content) =>
        Bytes(name, new UTF8Encoding(false).GetBytes(content));

    /// <summary>Writes raw bytes; returns the path.</summary>
    public static string Bytes(string name, byte[] content)
    {
        var path = Path.Combine(TestPaths.NewTempDir("eval"), name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>A path in a fresh folder where no file exists.</summary>
    public static string Missing(string name) => Path.Combine(TestPaths.NewTempDir("eval"), name);
}
