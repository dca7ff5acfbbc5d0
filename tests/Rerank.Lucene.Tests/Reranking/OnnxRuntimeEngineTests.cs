using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tokenization;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Reranking;

/// <summary>
/// The ONNX Runtime engine against the TorchSharp forward (itself checked against PyTorch and the
/// original MiniLM ONNX graph in Parity/): the exported fp32 graph must compute the same function,
/// int8 must stay close, and the engine choice must follow its documented rules.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxRuntimeEngineTests
{
    private static readonly string DefaultReranker = Path.Combine(TestPaths.RepoRoot, "models", "default-reranker");

    // Real-looking pairs of very different lengths, so sorted batches carry much padding.
    private static List<(string Query, string Document)> Pairs()
    {
        string[] queries =
        [
            "do statins reduce the risk of stroke?",
            "vitamin D deficiency and bone fractures in the elderly",
            "how long does immunity after measles vaccination last",
            "tides",
        ];
        string[] sentences =
        [
            "Statin therapy lowered the incidence of ischaemic stroke in patients with coronary disease.",
            "Serum 25-hydroxyvitamin D was measured in 3,000 community-dwelling adults aged over 65.",
            "Antibody titres persisted for decades after two doses of live attenuated vaccine.",
            "The moon's gravity raises two bulges in the oceans.",
            "Hip fracture incidence did not differ between the supplemented and placebo groups.",
            "Low-density lipoprotein cholesterol fell by 38 percent at one year.",
        ];
        var pairs = new List<(string, string)>();
        var i = 0;
        foreach (var query in queries)
        {
            foreach (var repeat in new[] { 1, 3, 9, 20 })
            {
                var document = string.Join(' ', Enumerable.Range(0, repeat).Select(k => sentences[(i + k) % sentences.Length]));
                pairs.Add((query, document));
                i++;
            }
        }
        return pairs;
    }

    [Fact]
    public void Fp32Graph_OfTheDefaultReranker_EqualsTorchSharpForward()
    {
        var pairs = Pairs();
        using var torchEngine = CrossEncoder.Load(DefaultReranker, new CrossEncoderOptions
            { Device = "cpu", Engine = InferenceEngine.TorchSharp, Precision = Precision.Fp32, BatchSize = 5 });
        using var onnx = CrossEncoder.Load(DefaultReranker, new CrossEncoderOptions
            { Device = "cpu", Engine = InferenceEngine.OnnxRuntime, Precision = Precision.Fp32, BatchSize = 5 });
        Assert.Equal(InferenceEngine.TorchSharp, torchEngine.Engine);
        Assert.Equal(InferenceEngine.OnnxRuntime, onnx.Engine);
        Assert.Equal(Precision.Fp32, onnx.Precision);

        var expected = torchEngine.Predict(pairs);
        var actual = onnx.Predict(pairs);

        // Batches of 5 over 16 lengths: most rows are padded, so the masking is exercised.
        for (var k = 0; k < pairs.Count; k++) Assert.True(Math.Abs(expected[k] - actual[k]) < 1e-5, $"pair {k}: torch {expected[k]} onnx {actual[k]}");
    }

    [Fact]
    public void Int8Graph_OfTheDefaultReranker_StaysCloseToFp32()
    {
        var pairs = Pairs();
        using var fp32 = CrossEncoder.Load(DefaultReranker, new CrossEncoderOptions
            { Device = "cpu", Engine = InferenceEngine.TorchSharp, Precision = Precision.Fp32 });
        using var int8 = CrossEncoder.Load(DefaultReranker, new CrossEncoderOptions { Device = "cpu", Precision = Precision.Int8 });
        Assert.Equal(InferenceEngine.OnnxRuntime, int8.Engine);
        Assert.Equal(Precision.Int8, int8.Precision);

        var reference = fp32.Predict(pairs);
        var quantized = int8.Predict(pairs);

        // Scores are sigmoids in [0, 1]. Bounds measured on this model with margin: int8 noise, not a different function.
        var maxDiff = reference.Zip(quantized, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff < 0.05, $"max |int8 - fp32| = {maxDiff}");
        Assert.True(Pearson(reference, quantized) > 0.99, $"Pearson {Pearson(reference, quantized)}");
        Assert.NotEqual(reference, quantized); // it really is a different computation
    }

    [Fact]
    public void BlockwiseAndPerTokenInt8Graphs_OfTheDefaultReranker_AreCloserToFp32ThanPerTensorInt8()
    {
        // The same linears (attention output, FFN up and down) quantized three ways, in one padded batch of 16 pairs:
        // per-tensor activations with per-channel weights (DynamicQuantizeMatMul, today's int8), per-token activations
        // with the same weights (MatMulInteger), and int8 blocks of 32 for both (MatMulNBits). Reference: the fp32 graph,
        // itself equal to the TorchSharp forward (test above). Measured on these pairs, |logit diff| max / mean: per tensor
        // 0.145 / 0.072, per token 0.078 / 0.023, blockwise 0.047 max (200 SciFact pairs: docs/BENCHMARKS.md, issue 15 goal 1).
        using var model = BertModelFolder.LoadForSequenceClassification(DefaultReranker, ClassifierHeadPolicy.RequireTrained);
        var weights = model.ExportWeights();
        var encoder = new BertPairEncoder(Path.Combine(DefaultReranker, "vocab.txt"));
        var batch = encoder.Pad(Pairs().Select(p => encoder.Encode(p.Query, p.Document, 128)).ToList());
        const Int8Linears linears = Int8Linears.AttentionOutput | Int8Linears.FfnUp | Int8Linears.FfnDown;

        float[] Logits(Int8Linears which)
        {
            using var session = new OnnxRuntimeSession(BertOnnxExporter.Export(model.Config, weights, which, DefaultReranker), threads: 1);
            return session.Logits(batch);
        }

        var reference = Logits(Int8Linears.None);
        double[] Diffs(Int8Linears which) => reference.Zip(Logits(which), (a, b) => (double)Math.Abs(a - b)).ToArray();
        var perTensor = Diffs(linears);
        var perToken = Diffs(linears | Int8Linears.PerToken);
        var blockwise = Diffs(linears | Int8Linears.Blockwise);

        Assert.True(blockwise.Max() < 0.1, $"blockwise int8: max |logit diff| = {blockwise.Max()}");
        Assert.True(perTensor.Max() > 2 * blockwise.Max(), $"max |logit diff| per tensor {perTensor.Max()} against blockwise {blockwise.Max()}");
        Assert.True(perTensor.Average() > 2 * perToken.Average(), $"mean |logit diff| per tensor {perTensor.Average()} against per token {perToken.Average()}");
        Assert.True(perToken.Max() < perTensor.Max(), $"max |logit diff| per token {perToken.Max()} against per tensor {perTensor.Max()}");
        Assert.True(blockwise.Max() > 0 && perToken.Max() > 0, "quantized graphs must differ from fp32 (they are different computations)");
    }

    [Fact]
    public void QuantizeBlocks_MatchesHandComputedValues()
    {
        // One row, two blocks of 4 (values exact in binary): block 0 max |w| = 31.75 -> scale 0.25; block 1 all zeros -> scale 1, codes 128.
        float[] values = [31.75f, -15.875f, 0.125f, -0.375f, 0f, 0f, 0f, 0f];
        var (codes, scales) = BertOnnxExporter.QuantizeBlocks(values, 1, 8, 4);
        Assert.Equal(0.25f, scales[0]);
        Assert.Equal(1f, scales[1]);
        // 31.75/0.25 = 127 -> 255; -63.5 -> -64 (ties to even) -> 64; 0.5 -> 0 -> 128; -1.5 -> -2 -> 126.
        Assert.Equal(new byte[] { 255, 64, 128, 126, 128, 128, 128, 128 }, codes);
        Assert.Throws<ArgumentException>(() => BertOnnxExporter.QuantizeBlocks(values, 1, 8, 3));
    }

    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu_new")]
    [InlineData("relu")]
    public void Fp32Graph_OfARandomBert_EqualsTorchSharpForward(string activation)
    {
        manual_seed(5);
        var config = TinyCrossEncoder.Config() with { HiddenAct = activation, NumAttentionHeads = 8, LayerNormEps = 1e-7 };
        using var model = new BertForSequenceClassification(config);
        model.eval();
        var bytes = BertOnnxExporter.Export(config, model.ExportWeights(), OnnxLinearPrecision.Fp32, "tiny");
        using var scorer = new OnnxRuntimeSession(bytes, threads: 1);

        // Two rows, the second padded: ids drawn from the vocabulary, token types 0 then 1.
        long[] ids = [2, 10, 11, 12, 3, 20, 21, 22, 23, 3, 2, 30, 31, 3, 40, 3, 0, 0, 0, 0];
        long[] types = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0];
        long[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
        var actual = scorer.Logits(new EncodedBatch(2, 10, ids, types, mask));

        using var noGrad = no_grad();
        using var logits = model.forward(tensor(ids, [2, 10]), tensor(types, [2, 10]), tensor(mask, [2, 10]));
        var expected = logits.data<float>().ToArray();
        for (var row = 0; row < 2; row++) Assert.True(Math.Abs(expected[row] - actual[row]) < 1e-5, $"row {row}: torch {expected[row]} onnx {actual[row]}");
    }

    [Fact]
    public void Export_OtherArchitecture_IsRefusedByName()
    {
        var config = TinyCrossEncoder.Config() with { ModelType = "xlm-roberta" };
        var error = Assert.Throws<InvalidInputException>(() => BertOnnxExporter.Export(config, new Dictionary<string, TensorData>(), OnnxLinearPrecision.Fp32, "m"));
        Assert.Contains("xlm-roberta", error.Message);
        Assert.Contains("BERT", error.Message);
    }

    [Fact]
    public void QuantizePerColumn_MatchesHandComputedValues()
    {
        // [2, 3] row-major; column maxima 4, 0.5, 0 -> scales 4/127, 0.5/127, 1.
        float[] w = [4f, -0.25f, 0f, -1f, 0.5f, 0f];
        var (q, scales) = BertOnnxExporter.QuantizePerColumn(w, 2, 3);
        Assert.Equal([4f / 127, 0.5f / 127, 1f], scales);
        // -1 / (4/127) = -31.75 -> -32; -0.25 / (0.5/127) = -63.5 -> -64 (ties to even).
        Assert.Equal(new sbyte[] { 127, -64, 0, -32, 127, 0 }, q);
    }

    [Theory]
    [InlineData(InferenceEngine.Auto, Precision.Auto, false, false, InferenceEngine.OnnxRuntime, Precision.Fp32)]
    [InlineData(InferenceEngine.Auto, Precision.Auto, true, true, InferenceEngine.TorchSharp, Precision.Fp32)]
    [InlineData(InferenceEngine.Auto, Precision.Bf16, false, true, InferenceEngine.TorchSharp, Precision.Bf16)]
    [InlineData(InferenceEngine.Auto, Precision.Int8, false, false, InferenceEngine.OnnxRuntime, Precision.Int8)]
    [InlineData(InferenceEngine.TorchSharp, Precision.Auto, false, true, InferenceEngine.TorchSharp, Precision.Fp32)]
    [InlineData(InferenceEngine.Auto, Precision.Fp32, false, true, InferenceEngine.OnnxRuntime, Precision.Fp32)]
    public void Resolve_FollowsTheDocumentedRules(InferenceEngine engine, Precision precision, bool cuda, bool int8Dot,
        InferenceEngine expectedEngine, Precision expectedPrecision)
    {
        var (e, p, _) = InferenceEngineSelection.Resolve(engine, precision, cuda, int8Dot);
        Assert.Equal(expectedEngine, e);
        Assert.Equal(expectedPrecision, p);
    }

    [Fact]
    public void Resolve_AutoOnAnInt8Cpu_UsesTheDocumentedCpuDefault()
    {
        var (e, p, reason) = InferenceEngineSelection.Resolve(InferenceEngine.Auto, Precision.Auto, false, true);
        Assert.Equal(InferenceEngine.OnnxRuntime, e);
        Assert.Equal(InferenceEngineSelection.AutoCpuPrecision, p);
        Assert.StartsWith("auto", reason);
    }

    [Fact]
    public void Resolve_AutoForAModelOnnxRuntimeCannotRun_PicksTorchSharpAndSaysWhy()
    {
        var (e, p, reason) = InferenceEngineSelection.Resolve(InferenceEngine.Auto, Precision.Auto, false, true, onnxExportable: false);
        Assert.Equal((InferenceEngine.TorchSharp, Precision.Fp32), (e, p));
        Assert.Contains("BERT", reason);
        // Asked for explicitly, int8 needs ONNX Runtime: refused, not replaced.
        Assert.Throws<InvalidInputException>(() => InferenceEngineSelection.Resolve(InferenceEngine.Auto, Precision.Int8, false, true, onnxExportable: false));
    }

    [Theory]
    [InlineData(InferenceEngine.OnnxRuntime, Precision.Fp32, true, "CPU only")]
    [InlineData(InferenceEngine.OnnxRuntime, Precision.Bf16, false, "bf16")]
    [InlineData(InferenceEngine.TorchSharp, Precision.Int8, false, "int8")]
    [InlineData(InferenceEngine.Auto, Precision.Int8, true, "int8")]
    public void Resolve_ImpossibleCombinations_AreRefused(InferenceEngine engine, Precision precision, bool cuda, string mentions)
    {
        var error = Assert.Throws<InvalidInputException>(() => InferenceEngineSelection.Resolve(engine, precision, cuda, true));
        Assert.Contains(mentions, error.Message);
    }

    private static double Pearson(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }
}
