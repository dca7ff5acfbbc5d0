using Rerank.Lucene.Embedding;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Embedding;

/// <summary>
/// Loading a sentence-transformers folder: the bundled MiniLM written out in that layout loads with the
/// settings its files state and computes the bundled model's vectors; unsupported pipelines are refused.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SentenceTransformersFolderTests : IDisposable
{
    private readonly TempFolder _temp = new("st-folder");

    public void Dispose() => _temp.Dispose();

    private const string Modules = """
        [{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
         {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
         {"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]
        """;

    private static string Pooling(bool mean = true, bool cls = false, bool max = false) =>
        $$"""{"word_embedding_dimension":384,"pooling_mode_cls_token":{{(cls ? "true" : "false")}},"pooling_mode_mean_tokens":{{(mean ? "true" : "false")}},"pooling_mode_max_tokens":{{(max ? "true" : "false")}},"pooling_mode_mean_sqrt_len_tokens":false}""";

    /// <summary>Only the module files (no BERT): enough for everything read before the weights.</summary>
    private string Folder(string modules = Modules, string? pooling = null, string sbert = """{"max_seq_length":128,"do_lower_case":false}""")
    {
        var dir = _temp.Combine("st-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "1_Pooling"));
        File.WriteAllText(Path.Combine(dir, "modules.json"), modules);
        File.WriteAllText(Path.Combine(dir, "1_Pooling", "config.json"), pooling ?? Pooling());
        File.WriteAllText(Path.Combine(dir, "sentence_bert_config.json"), sbert);
        return dir;
    }

    [Fact]
    public void Read_MiniLmLayout_GivesMeanNormalizedAndMaxLength()
    {
        var st = SentenceTransformersFolder.Read(Folder());

        Assert.Equal((PoolingMode.Mean, true, 128, 384), (st.Pooling, st.Normalize, st.MaxSeqLength, st.EmbeddingDimension));
    }

    [Fact]
    public void Read_ClsWithoutNormalize_IsAccepted()
    {
        var modules = """[{"path":"","type":"sentence_transformers.models.Transformer"},{"path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]""";
        var st = SentenceTransformersFolder.Read(Folder(modules, Pooling(mean: false, cls: true)));

        Assert.Equal((PoolingMode.Cls, false), (st.Pooling, st.Normalize));
    }

    [Fact]
    public void Read_MaxPooling_IsRefusedNamingTheFile()
    {
        var dir = Folder(pooling: Pooling(mean: false, max: true));

        var e = Assert.Throws<InvalidInputException>(() => SentenceTransformersFolder.Read(dir));

        Assert.Contains(Path.Combine(dir, "1_Pooling", "config.json"), e.Message);
        Assert.Contains("pooling_mode_max_tokens", e.Message);
    }

    [Fact]
    public void Read_MeanAndClsBothOn_IsRefused()
    {
        var e = Assert.Throws<InvalidInputException>(() => SentenceTransformersFolder.Read(Folder(pooling: Pooling(mean: true, cls: true))));

        Assert.Contains("exactly one of pooling_mode_mean_tokens and pooling_mode_cls_token", e.Message);
    }

    [Fact]
    public void Read_DenseModule_IsRefused()
    {
        var modules = """[{"path":"","type":"sentence_transformers.models.Transformer"},{"path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"path":"2_Dense","type":"sentence_transformers.models.Dense"}]""";
        var dir = Folder(modules);

        var e = Assert.Throws<InvalidInputException>(() => SentenceTransformersFolder.Read(dir));

        Assert.Contains(Path.Combine(dir, "modules.json"), e.Message);
        Assert.Contains("sentence_transformers.models.Dense", e.Message);
    }

    [Fact]
    public void Read_NoModulesJson_SaysItIsNotABiEncoderFolder()
    {
        var dir = _temp.Combine("plain");
        Directory.CreateDirectory(dir);

        var e = Assert.Throws<InvalidInputException>(() => BiEncoder.Load(dir));

        Assert.Contains("has no modules.json", e.Message);
    }

    [Fact]
    public void Load_BundledWrittenAsFolder_SameFingerprintAndVectorsAsBundled()
    {
        var dir = _temp.Combine("bundled-as-folder");
        BundledEncoder.ImportMiniLm(dir);
        // Then the Sentence Transformers module files beside the BERT files.
        Directory.CreateDirectory(Path.Combine(dir, "1_Pooling"));
        File.WriteAllText(Path.Combine(dir, "modules.json"), Modules);
        File.WriteAllText(Path.Combine(dir, "1_Pooling", "config.json"), Pooling());
        File.WriteAllText(Path.Combine(dir, "sentence_bert_config.json"), """{"max_seq_length":256,"do_lower_case":false}""");

        using var fromFolder = BiEncoder.Load(dir, new BiEncoderOptions { Device = "cpu" });
        using var bundled = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu" });

        Assert.Equal(bundled.Fingerprint, fromFolder.Fingerprint);
        Assert.Equal((384, PoolingMode.Mean, true, 256), (fromFolder.Dimension, fromFolder.Pooling, fromFolder.Normalized, fromFolder.MaxLength));
        Assert.Equal(Path.GetFullPath(dir), fromFolder.Source);
        string[] texts = ["How do vaccines train the immune system?", "Bridges sway in the wind."];
        var a = fromFolder.EmbedMany(texts);
        var b = bundled.EmbedMany(texts);
        Assert.True(a.Zip(b, (x, y) => Math.Abs(x - y)).Max() < 1e-6);
    }
}
