using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;
using Xunit.Abstractions;

namespace Rerank.Lucene.Tests.Embedding;

/// <summary>
/// The bi-encoder's ONNX Runtime engine (the CPU default): the same vectors as the TorchSharp engine (itself checked
/// against the package's ONNX file in <see cref="BiEncoderParityTests"/>) on real texts, cosine ≥ 0.99999 per text;
/// the CLS, un-normalised head against the package's ONNX file; int8 opt-in and close to fp32 but not equal; the
/// selection rules shared with the cross-encoder; and the rule that fp32 vectors of either engine are interchangeable
/// while int8 and fp32 vectors are never mixed.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class BiEncoderOnnxRuntimeTests(ITestOutputHelper output) : IDisposable
{
    private const double MinCosine = 0.99999;

    private readonly TempFolder _temp = new("biencoder-ort");

    public void Dispose() => _temp.Dispose();

    private static BiEncoder Bundled(InferenceEngine engine, Precision precision = Precision.Auto) =>
        BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu", BatchSize = 16, Engine = engine, Precision = precision });

    /// <summary>The sample corpus's 41 documents and 12 queries, and a few odd strings.</summary>
    private static List<string> SampleTexts() =>
        CorpusReader.ReadJsonl(SampleCorpus.Corpus).Select(d => DocumentText.Join(d.Title, d.Text))
            .Concat(File.ReadLines(SampleCorpus.Queries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!))
            .Append("x").Append("").Append("Ünïcödé ≥ ± 3×10⁵ cells/mL; naïve café").ToList();

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    /// <summary>Per-text cosines of two [n, dim] row-major matrices.</summary>
    private static double[] Cosines(float[] a, float[] b, int dim) =>
        Enumerable.Range(0, a.Length / dim).Select(i => Cosine(a.AsSpan(i * dim, dim), b.AsSpan(i * dim, dim))).ToArray();

    [Fact]
    public void LoadBundled_OnTheCpu_DefaultsToOnnxRuntimeFp32AndSaysWhy()
    {
        using var encoder = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu" });

        Assert.Equal((InferenceEngine.OnnxRuntime, Precision.Fp32), (encoder.Engine, encoder.Precision));
        Assert.StartsWith("onnxruntime fp32 on cpu (auto: ", encoder.EngineDescription);
    }

    [Fact]
    public void OnnxRuntimeFp32_SampleCorpusAndQueries_MatchesTorchSharpFp32PerText()
    {
        var texts = SampleTexts();
        using var ort = Bundled(InferenceEngine.OnnxRuntime);
        using var torch = Bundled(InferenceEngine.TorchSharp);

        var cosines = Cosines(ort.EmbedMany(texts), torch.EmbedMany(texts), ort.Dimension);

        output.WriteLine($"min cosine ORT fp32 vs TorchSharp fp32 over {texts.Count} texts: {cosines.Min():F9}");
        Assert.Equal(texts.Count, cosines.Length);
        Assert.All(cosines.Select((c, i) => (c, i)), x => Assert.True(x.c >= MinCosine, $"text {x.i}: cosine {x.c:F9} < {MinCosine}"));
    }

    [DatasetFact("scifact")]
    public void OnnxRuntimeFp32_100ScifactDocuments_MatchesTorchSharpFp32PerText()
    {
        var corpus = Path.Combine(TestPaths.DatasetOrNull("scifact")!, "corpus.jsonl");
        var texts = CorpusReader.ReadJsonl(corpus).Take(100).Select(d => DocumentText.Join(d.Title, d.Text)).ToList();
        using var ort = Bundled(InferenceEngine.OnnxRuntime);
        using var torch = Bundled(InferenceEngine.TorchSharp);

        var cosines = Cosines(ort.EmbedMany(texts), torch.EmbedMany(texts), ort.Dimension);

        output.WriteLine($"min cosine ORT fp32 vs TorchSharp fp32 over {texts.Count} SciFact documents: {cosines.Min():F9}");
        Assert.All(cosines.Select((c, i) => (c, i)), x => Assert.True(x.c >= MinCosine, $"document {x.i}: cosine {x.c:F9} < {MinCosine}"));
    }

    /// <summary>
    /// The graph's other head (CLS pooling, no Normalize module) against an independent reference: the package's
    /// ONNX file's last_hidden_state at position 0, one text at a time; and against TorchSharp.
    /// </summary>
    [Fact]
    public void ClsWithoutNormalizeFolder_OnnxRuntime_MatchesPackageOnnxFirstToken()
    {
        var dir = _temp.Combine("cls-folder");
        BundledEncoder.ImportMiniLm(dir);
        Directory.CreateDirectory(Path.Combine(dir, "1_Pooling"));
        File.WriteAllText(Path.Combine(dir, "modules.json"),
            """[{"path":"","type":"sentence_transformers.models.Transformer"},{"path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]""");
        File.WriteAllText(Path.Combine(dir, "1_Pooling", "config.json"),
            """{"word_embedding_dimension":384,"pooling_mode_cls_token":true,"pooling_mode_mean_tokens":false,"pooling_mode_max_tokens":false,"pooling_mode_mean_sqrt_len_tokens":false}""");
        File.WriteAllText(Path.Combine(dir, "sentence_bert_config.json"), """{"max_seq_length":256,"do_lower_case":false}""");
        var texts = SampleTexts().Take(20).ToList();
        using var ort = BiEncoder.Load(dir, new BiEncoderOptions { Device = "cpu", Engine = InferenceEngine.OnnxRuntime });
        using var torch = BiEncoder.Load(dir, new BiEncoderOptions { Device = "cpu", Engine = InferenceEngine.TorchSharp });
        Assert.Equal((PoolingMode.Cls, false), (ort.Pooling, ort.Normalized));

        var ours = ort.EmbedMany(texts);
        var theirs = torch.EmbedMany(texts);
        using var session = new InferenceSession(MiniLmPackage.Locate().ReadModelOnnx(), new SessionOptions { IntraOpNumThreads = 1 });
        for (var i = 0; i < texts.Count; i++)
        {
            var ids = ort.Tokenize(texts[i]).InputIds;
            var expected = FirstToken(session, ids);
            var actual = ours.AsSpan(i * 384, 384);
            Assert.True(Cosine(actual, expected) >= MinCosine, $"text {i}: cosine to the package's first token {Cosine(actual, expected):F9}");
            // Not normalised: the lengths agree too (the package's CLS vectors are far from unit length).
            var norm = Math.Sqrt(expected.Sum(v => (double)v * v));
            Assert.InRange(Math.Sqrt(actual.ToArray().Sum(v => (double)v * v)), norm * (1 - 1e-4), norm * (1 + 1e-4));
            Assert.True(Math.Abs(norm - 1) > 0.1, $"text {i}: the reference vector has length {norm}; the test cannot tell normalised from not");
            Assert.True(Cosine(actual, theirs.AsSpan(i * 384, 384)) >= MinCosine);
        }
    }

    private static float[] FirstToken(InferenceSession session, long[] ids)
    {
        int[] shape = [1, ids.Length];
        NamedOnnxValue[] inputs =
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, ids.Length).ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[ids.Length], shape)),
        ];
        using var results = session.Run(inputs, ["last_hidden_state"]);
        var hidden = results.Single().AsTensor<float>();
        return Enumerable.Range(0, (int)hidden.Dimensions[2]).Select(d => hidden[0, 0, d]).ToArray();
    }

    /// <summary>int8 is opt-in, runs (the vectors differ from fp32) and stays close to fp32 on every text.</summary>
    [Fact]
    public void Int8_OptIn_CloseToFp32ButNotEqual()
    {
        var texts = SampleTexts();
        using var fp32 = Bundled(InferenceEngine.Auto);
        using var int8 = Bundled(InferenceEngine.Auto, Precision.Int8);
        Assert.Equal((InferenceEngine.OnnxRuntime, Precision.Int8, "requested"), (int8.Engine, int8.Precision, int8.EngineReason));

        var a = fp32.EmbedMany(texts);
        var b = int8.EmbedMany(texts);
        var cosines = Cosines(a, b, fp32.Dimension);

        output.WriteLine($"int8 vs fp32 over {texts.Count} texts: min cosine {cosines.Min():F6}, mean {cosines.Average():F6}");
        Assert.True(cosines.Min() >= 0.97, $"min cosine int8 vs fp32 {cosines.Min():F6}");
        Assert.True(cosines.Average() < 0.9999, $"mean cosine {cosines.Average():F7}: the int8 graph computed fp32 vectors");
    }

    [Fact]
    public void Int8OnTorchSharp_AndBf16_AreRefusedWithTheFix()
    {
        var int8 = Assert.Throws<InvalidInputException>(() => Bundled(InferenceEngine.TorchSharp, Precision.Int8));
        var bf16 = Assert.Throws<InvalidInputException>(() => Bundled(InferenceEngine.Auto, Precision.Bf16));

        Assert.Contains("int8 runs on ONNX Runtime only", int8.Message);
        Assert.Contains("bf16 is not offered for the embedder", bf16.Message);
    }

    /// <summary>Vectors made by TorchSharp fp32 are searched with ONNX Runtime fp32 queries (and the reverse); int8 and fp32 never meet.</summary>
    [Fact]
    public void RequireCompatible_Fp32EnginesInterchangeable_Int8AndFp32NotMixed()
    {
        using var ortFp32 = Bundled(InferenceEngine.OnnxRuntime);
        using var torchFp32 = Bundled(InferenceEngine.TorchSharp);
        using var ortInt8 = Bundled(InferenceEngine.OnnxRuntime, Precision.Int8);
        var byTorch = EmbeddingInfo.For(torchFp32, 10, 1);
        var byInt8 = EmbeddingInfo.For(ortInt8, 10, 1);
        var legacy = byTorch with { Engine = null, Precision = null }; // an index written before engines were recorded

        Assert.Equal(("torchsharp", "fp32"), (byTorch.Engine, byTorch.Precision));
        Assert.Equal(("onnxruntime", "int8"), (byInt8.Engine, byInt8.Precision));
        byTorch.RequireCompatible(ortFp32, "idx");
        legacy.RequireCompatible(ortFp32, "idx");
        EmbeddingInfo.For(ortFp32, 10, 1).RequireCompatible(torchFp32, "idx");
        byInt8.RequireCompatible(ortInt8, "idx");
        var fp32OnInt8 = Assert.Throws<InvalidInputException>(() => byInt8.RequireCompatible(ortFp32, "idx"));
        var int8OnFp32 = Assert.Throws<InvalidInputException>(() => byTorch.RequireCompatible(ortInt8, "idx"));
        Assert.Contains("precision fp32 vs int8", fp32OnInt8.Message);
        Assert.Contains("precision int8 vs fp32", int8OnFp32.Message);

        // Queries follow the index's precision unless one is asked for.
        Assert.Equal(Precision.Int8, byInt8.ForQueries(new BiEncoderOptions()).Precision);
        Assert.Equal(Precision.Fp32, legacy.ForQueries(new BiEncoderOptions()).Precision);
        Assert.Equal(Precision.Fp32, byInt8.ForQueries(new BiEncoderOptions { Precision = Precision.Fp32 }).Precision);
    }

    [Fact]
    public void AddedBy_AnotherEngine_RecordsBoth()
    {
        using var ortFp32 = Bundled(InferenceEngine.OnnxRuntime);
        using var torchFp32 = Bundled(InferenceEngine.TorchSharp);
        var byTorch = EmbeddingInfo.For(torchFp32, 10, 1);

        Assert.Equal("torchsharp+onnxruntime", byTorch.AddedBy(ortFp32).Engine);
        Assert.Equal("torchsharp", byTorch.AddedBy(torchFp32).Engine);
        Assert.Equal(("torchsharp+onnxruntime", "fp32"), ((byTorch with { Engine = null, Precision = null }).AddedBy(ortFp32) is var e ? (e.Engine, e.Precision) : default));
    }
}
