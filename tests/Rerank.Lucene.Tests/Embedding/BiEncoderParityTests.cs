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
/// <see cref="BiEncoder"/> on both engines (TorchSharp BERT with our pooling, and the default: ONNX Runtime on
/// our exported graph with pooling in the graph; length-sorted padded batches either way) against an
/// independent reference: ONNX Runtime running the package's own ONNX file one text at a time
/// (no padding), mean-pooled and L2-normalised here in plain loops, as sentence-transformers'
/// all-MiniLM-L6-v2 pipeline does. The token ids are the encoder's own (the tokenizer has its own
/// reference tests against Hugging Face).
/// </summary>
[Collection(TorchCollection.Name)]
public class BiEncoderParityTests(ITestOutputHelper output)
{
    private const double MinCosine = 0.99999;

    [Fact]
    public void LoadBundled_HasTheSentenceTransformersSettings()
    {
        using var encoder = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu" });

        Assert.Equal((384, PoolingMode.Mean, true, 256), (encoder.Dimension, encoder.Pooling, encoder.Normalized, encoder.MaxLength));
        Assert.Equal(BiEncoder.BundledSource, encoder.Source);
        Assert.StartsWith("sha256:", encoder.Fingerprint);
    }

    [Theory]
    [InlineData(InferenceEngine.Auto)] // the default on the CPU: ONNX Runtime fp32
    [InlineData(InferenceEngine.TorchSharp)]
    public void EmbedMany_SampleCorpus_MatchesOnnxRuntime(InferenceEngine engine)
    {
        var texts = CorpusReader.ReadJsonl(SampleCorpus.Corpus).Take(12).Select(d => DocumentText.Join(d.Title, d.Text))
            .Append("What is photosynthesis?").Append("x").Append("Ünïcödé ≥ ± 3×10⁵ cells/mL; naïve café").ToList();
        CheckAgainstOnnx(texts, engine);
    }

    [DatasetFact("scifact")]
    public void EmbedMany_100ScifactDocuments_MatchesOnnxRuntime()
    {
        var corpus = Path.Combine(TestPaths.DatasetOrNull("scifact")!, "corpus.jsonl");
        var texts = CorpusReader.ReadJsonl(corpus).Take(100).Select(d => DocumentText.Join(d.Title, d.Text)).ToList();
        foreach (var engine in new[] { InferenceEngine.Auto, InferenceEngine.TorchSharp })
        {
            var truncated = CheckAgainstOnnx(texts, engine);
            Assert.True(truncated > 10, $"only {truncated} of 100 texts reach 256 tokens; the truncation path is not exercised");
        }
    }

    [Theory]
    [InlineData(InferenceEngine.OnnxRuntime)]
    [InlineData(InferenceEngine.TorchSharp)]
    public void EmbedMany_BatchedWithALongText_EqualsEachTextAlone(InferenceEngine engine)
    {
        using var encoder = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu", BatchSize = 8, Engine = engine });
        var longText = string.Join(' ', Enumerable.Repeat("Vaccines train the immune system to recognise pathogens.", 30));
        string[] texts = ["short text", "a somewhat longer text about bridges and wind", longText];

        var batched = encoder.EmbedMany(texts);
        for (var i = 0; i < texts.Length; i++)
        {
            var alone = encoder.Embed(texts[i]);
            var maxDiff = alone.Select((v, d) => Math.Abs(v - batched[i * encoder.Dimension + d])).Max();
            Assert.True(maxDiff < 1e-5, $"text {i}: padding changed the embedding by {maxDiff:E2}");
        }
    }

    /// <summary>Returns how many texts were cut to 256 tokens.</summary>
    private int CheckAgainstOnnx(IReadOnlyList<string> texts, InferenceEngine engine)
    {
        using var encoder = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu", BatchSize = 16, Engine = engine });
        Assert.Equal(engine == InferenceEngine.Auto ? InferenceEngine.OnnxRuntime : engine, encoder.Engine);
        Assert.Equal(Precision.Fp32, encoder.Precision);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ours = encoder.EmbedMany(texts);
        output.WriteLine($"ours ({encoder.EngineDescription}): {texts.Count} texts in {clock.Elapsed.TotalSeconds:F1} s");

        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(MiniLmPackage.Locate().ReadModelOnnx(), options);
        var minCosine = 1.0;
        var truncated = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            var ids = encoder.Tokenize(texts[i]).InputIds;
            if (ids.Length == 256) truncated++;
            var expected = OnnxMeanPooledNormalized(session, ids);
            var actual = ours.AsSpan(i * encoder.Dimension, encoder.Dimension).ToArray();
            double dot = 0, na = 0, nb = 0;
            for (var d = 0; d < expected.Length; d++)
            {
                dot += expected[d] * actual[d];
                na += expected[d] * expected[d];
                nb += (double)actual[d] * actual[d];
            }
            Assert.InRange(Math.Sqrt(nb), 1 - 1e-5, 1 + 1e-5); // normalised
            minCosine = Math.Min(minCosine, dot / Math.Sqrt(na * nb));
        }
        output.WriteLine($"min cosine over {texts.Count} texts: {minCosine:F9}; {truncated} cut to 256 tokens");
        Assert.True(minCosine >= MinCosine, $"min cosine {minCosine:F7} < {MinCosine}");
        return truncated;
    }

    private static double[] OnnxMeanPooledNormalized(InferenceSession session, long[] ids)
    {
        int[] shape = [1, ids.Length];
        var mask = Enumerable.Repeat(1L, ids.Length).ToArray();
        NamedOnnxValue[] inputs =
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[ids.Length], shape)),
        ];
        using var results = session.Run(inputs, ["last_hidden_state"]);
        var hidden = results.Single().AsTensor<float>();
        var width = hidden.Dimensions[2];
        var mean = new double[width];
        for (var t = 0; t < ids.Length; t++)
            for (var d = 0; d < width; d++)
                mean[d] += hidden[0, t, d] / ids.Length;
        var norm = Math.Sqrt(mean.Sum(v => v * v));
        return mean.Select(v => v / norm).ToArray();
    }
}
