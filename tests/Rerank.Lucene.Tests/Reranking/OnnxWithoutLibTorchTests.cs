using System.Text;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Native;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Tests.Reranking;

/// <summary>
/// ONNX Runtime on the CPU without TorchSharp (issue 15): the weights go from the folder straight into the exported graph.
/// The reference is the path that builds the TorchSharp model first (load, then export its weights): the same keys and
/// shapes are expected (the module's own state dict), the same refusals given, and the same graph, byte for byte, exported.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxWithoutLibTorchTests
{
    private static readonly string DefaultReranker = Path.Combine(TestPaths.RepoRoot, "models", "default-reranker");

    private static IEnumerable<(string Key, long[] Shape)> Sorted(IEnumerable<KeyValuePair<string, long[]>> entries) =>
        entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, e.Value));

    private static void AssertSameLayout(IReadOnlyDictionary<string, long[]> expected, IReadOnlyDictionary<string, long[]> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, shape) in Sorted(expected)) Assert.True(shape.SequenceEqual(actual[key]), $"{key}: module [{string.Join(", ", shape)}], layout [{string.Join(", ", actual[key])}]");
    }

    [Fact]
    public void BertWeightLayout_EqualsTheTorchSharpModulesStateDict()
    {
        // Sizes that differ from each other everywhere (intermediate not 4H, 3 labels, 3 token types) and the default reranker's.
        var odd = Modeling.TinyBert.Config(numLabels: 3) with { IntermediateSize = 48, TypeVocabSize = 3, MaxPositionEmbeddings = 20, NumHiddenLayers = 3 };
        foreach (var config in new[] { odd, BertModelFolder.ReadConfig(DefaultReranker) })
        {
            using var classifier = new BertForSequenceClassification(config);
            using var encoder = new BertModel(config);
            AssertSameLayout(classifier.state_dict().ToDictionary(p => p.Key, p => p.Value.shape), BertWeightLayout.ForSequenceClassification(config));
            AssertSameLayout(encoder.state_dict().ToDictionary(p => p.Key, p => p.Value.shape), BertWeightLayout.BertModel(config));
        }
    }

    [Fact]
    public void HostWeights_OfTheFloat16DefaultReranker_EqualTheLoadedModulesWeights_AndExportTheSameGraph()
    {
        var config = BertModelFolder.ReadConfig(DefaultReranker);
        var host = BertModelFolder.ReadTrainedBertClassifierWeights(DefaultReranker, config);
        using var model = BertModelFolder.LoadForSequenceClassification(DefaultReranker, ClassifierHeadPolicy.RequireTrained);
        var loaded = model.ExportWeights();

        Assert.Equal(loaded.Keys.Order(StringComparer.Ordinal), host.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, tensor) in loaded)
        {
            Assert.Equal(tensor.Shape, host[key].Shape);
            Assert.True(tensor.Values.AsSpan().SequenceEqual(host[key].Values), $"{key}: values differ");
        }
        foreach (var precision in new[] { OnnxLinearPrecision.Fp32, OnnxLinearPrecision.Int8 })
        {
            var expected = BertOnnxExporter.Export(model.Config, loaded, precision, DefaultReranker);
            Assert.True(expected.AsSpan().SequenceEqual(BertOnnxExporter.Export(config, host, precision, DefaultReranker)), $"{precision} graphs differ");
        }
    }

    [Fact]
    public void CrossEncoder_OnnxRuntime_ScoresExactlyAsTheGraphExportedFromTheTorchSharpModel()
    {
        // The reference is the former path: the TorchSharp model loaded, its weights exported, the same length-sorted batches.
        var pairs = new List<(string, string)>
        {
            ("do statins reduce the risk of stroke?", "Statin therapy lowered the incidence of ischaemic stroke in patients with coronary disease."),
            ("tides", "The moon's gravity raises two bulges in the oceans. Tidal power is one use of them; the sun's pull adds spring and neap tides."),
            ("vitamin D and fractures", "Hip fracture incidence did not differ."),
            ("measles immunity", "Antibody titres persisted for decades after two doses of live attenuated vaccine, in every cohort followed."),
            ("bread", "Yeast."),
        };
        using var encoder = CrossEncoder.Load(DefaultReranker, new CrossEncoderOptions { Device = "cpu", Engine = InferenceEngine.OnnxRuntime, Precision = Precision.Fp32, BatchSize = 2, Threads = 1 });
        Assert.Equal("cpu", encoder.Device);
        var actual = encoder.Predict(pairs);

        using var model = BertModelFolder.LoadForSequenceClassification(DefaultReranker, ClassifierHeadPolicy.RequireTrained);
        using var session = new OnnxRuntimeSession(model, OnnxLinearPrecision.Fp32, threads: 1, DefaultReranker);
        var tokenizer = new BertPairEncoder(Path.Combine(DefaultReranker, "vocab.txt"));
        var encodings = pairs.Select(p => encoder.Encode(p.Item1, p.Item2)).ToArray();
        var logits = LengthSortedBatches.Run(encodings, 2, 1, tokenizer.Pad, session.Logits);
        var expected = logits.Select(x => 1f / (1f + MathF.Exp(-x))).ToArray();

        Assert.Equal(expected, actual);
    }

    /// <summary>A copy of the tiny cross-encoder folder with its weights changed by <paramref name="edit"/>.</summary>
    private static string TinyFolderWith(Func<Dictionary<string, TensorData>, Dictionary<string, TensorData>> edit)
    {
        var folder = TinyCrossEncoder.Create();
        var path = Path.Combine(folder, "model.safetensors");
        SafeTensors.Write(path, edit(SafeTensors.Read(path)), SafeTensorsDType.F32);
        return folder;
    }

    public static TheoryData<string> BrokenFolders => ["missing", "unexpected", "misshaped", "encoder-only", "bare-encoder-with-head"];

    [Theory]
    [MemberData(nameof(BrokenFolders))]
    public void CrossEncoder_OnnxRuntime_RefusesBrokenWeights_WithTheTorchSharpLoadersMessage(string broken)
    {
        var folder = TinyFolderWith(w =>
        {
            switch (broken)
            {
                case "missing":
                    w.Remove("bert.encoder.layer.1.output.dense.bias");
                    break;
                case "unexpected":
                    w["bert.encoder.layer.2.output.dense.bias"] = new TensorData([32], new float[32]);
                    break;
                case "misshaped":
                    w["bert.pooler.dense.weight"] = new TensorData([32, 16], new float[32 * 16]);
                    break;
                case "encoder-only":
                    return w.Where(p => !p.Key.StartsWith("classifier.", StringComparison.Ordinal)).ToDictionary(p => p.Key["bert.".Length..], p => p.Value);
                default:
                    // Un-prefixed encoder keys with the head: prefixed as Hugging Face does, then loaded.
                    return w.ToDictionary(p => p.Key.StartsWith("bert.", StringComparison.Ordinal) ? p.Key["bert.".Length..] : p.Key, p => p.Value);
            }
            return w;
        });

        var reference = Record.Exception(() => BertModelFolder.LoadForSequenceClassification(folder, ClassifierHeadPolicy.RequireTrained)?.Dispose());
        var onnx = Record.Exception(() => CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu", Engine = InferenceEngine.OnnxRuntime }).Dispose());

        if (broken == "bare-encoder-with-head")
        {
            Assert.Null(reference);
            Assert.Null(onnx);
            return;
        }
        Assert.IsType<InvalidInputException>(reference);
        Assert.IsType<InvalidInputException>(onnx);
        Assert.Equal(reference.Message, onnx.Message);
        Assert.Contains(broken switch { "missing" => "missing keys (1)", "unexpected" => "unexpected keys (1)", "misshaped" => "shape mismatches (1)", _ => "has no classifier head" }, onnx.Message);
    }

    [Fact]
    public void CrossEncoder_OnnxRuntimeRequested_ForAMultiLabelModel_IsRefusedNamingTheEngineThatRunsIt()
    {
        var folder = TinyCrossEncoder.Create(numLabels: 3);

        var e = Assert.Throws<InvalidInputException>(() => CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu", Engine = InferenceEngine.OnnxRuntime }));

        Assert.Equal($"'{folder}' has 3 labels; the ONNX Runtime engine scores one-label cross-encoders only. Use the TorchSharp engine (--engine torchsharp) for this model.", e.Message);
    }

    [Fact]
    public void BundledBiEncoder_OnnxGraph_IsTheGraphExportedFromTheTorchSharpModel_AndBrokenWeightsGetItsMessage()
    {
        var package = MiniLmPackage.Locate();
        var imported = MiniLmImporter.Import(package.ReadModelOnnx());
        var padId = HfBertFolderWriter.ParseVocab(package.ReadVocab()).ToList().IndexOf("[PAD]");
        var config = BertConfig.Parse(Encoding.UTF8.GetString(HfBertFolderWriter.ConfigJson(imported, padId)), "bundled MiniLM config");
        var head = new SentenceEmbeddingHead(PoolingMode.Mean, Normalize: true);

        using var model = new BertModel(config);
        model.LoadWeights(imported.Weights, "bundled");
        var expected = BertOnnxExporter.ExportSentenceEmbedding(config, model.ExportWeights(), OnnxLinearPrecision.Fp32, head, "bundled");
        var actual = BertOnnxExporter.ExportSentenceEmbedding(config, BertModelFolder.CheckBertModelWeights(config, imported.Weights, "bundled"), OnnxLinearPrecision.Fp32, head, "bundled");
        Assert.True(expected.AsSpan().SequenceEqual(actual));

        var broken = imported.Weights.Where(p => p.Key != "encoder.layer.3.attention.self.key.bias").ToDictionary(p => p.Key, p => p.Value);
        broken["encoder.layer.0.intermediate.dense.bias"] = new TensorData([7], new float[7]);
        using var fresh = new BertModel(config);
        var reference = Assert.Throws<InvalidInputException>(() => fresh.LoadWeights(broken, "w.safetensors"));
        var host = Assert.Throws<InvalidInputException>(() => BertModelFolder.CheckBertModelWeights(config, broken, "w.safetensors"));
        Assert.Equal(reference.Message, host.Message);
        Assert.Contains("missing keys (1): encoder.layer.3.attention.self.key.bias", host.Message);
    }

    [Fact]
    public void AbsentNativeFiles_NamesTheFirstMissingLibraryAndItsPackage()
    {
        using var program = new Cli.TempFolder("program");
        var native = program.Combine("runtimes", "linux-x64", "native");
        Directory.CreateDirectory(native);

        var noGlue = TorchRuntime.AbsentNativeFiles(program.Path, isLinux: true);
        Assert.NotNull(noGlue);
        Assert.Equal("libLibTorchSharp.so (package TorchSharp) is not beside this program", noGlue.Value.Short);
        Assert.Contains("libLibTorchSharp.so is not beside this program", noGlue.Value.Message);
        Assert.Contains("needs neither", noGlue.Value.Message);

        File.WriteAllBytes(Path.Combine(native, "libLibTorchSharp.so"), []);
        File.WriteAllBytes(Path.Combine(native, "libtorch.so"), []);
        var noCpu = TorchRuntime.AbsentNativeFiles(program.Path, isLinux: true);
        Assert.NotNull(noCpu);
        Assert.Equal("libtorch_cpu.so (package libtorch-cpu-linux-x64) is not beside this program", noCpu.Value.Short);
        Assert.StartsWith($"libtorch could not be loaded: libtorch_cpu.so is not beside {Path.Combine(native, "libLibTorchSharp.so")}. libtorch's libraries come from the libtorch-cpu-linux-x64 package", noCpu.Value.Message);
        Assert.Equal(Path.Combine(native, "libtorch_cpu.so"), noCpu.Value.Path);

        File.WriteAllBytes(Path.Combine(native, "libtorch_cpu.so"), []);
        File.WriteAllBytes(Path.Combine(native, "libc10.so"), []);
        Assert.Null(TorchRuntime.AbsentNativeFiles(program.Path, isLinux: true));
        Assert.Null(TorchRuntime.AbsentNativeFiles(Path.Combine(program.Path, "elsewhere"), isLinux: false));
        Assert.False(TorchRuntime.HasCudaLibrary(program.Path));
        File.WriteAllBytes(Path.Combine(native, "libtorch_cuda.so"), []);
        Assert.True(TorchRuntime.HasCudaLibrary(program.Path));
    }

    [Fact]
    public void InferenceDevice_CpuWithoutTheTorchSharpEngine_TakesNoTorchDevice_AndUnknownChoicesAreRefused()
    {
        var cpu = InferenceDevice.Resolve("CPU", torchUse: null);
        Assert.Equal(new InferenceDevice(false, "cpu", null, null), cpu);

        var e = Assert.Throws<InvalidInputException>(() => InferenceDevice.Resolve("tpu", torchUse: null));
        Assert.Equal("Unknown device 'tpu'; expected auto, cpu, cuda or cuda:N.", e.Message);

        // This test program carries the CPU libtorch (no libtorch_cuda.so): auto is the CPU, found without asking libtorch.
        Assert.False(TorchRuntime.HasCudaLibrary(AppContext.BaseDirectory));
        Assert.Equal(new InferenceDevice(false, "cpu", null, null), InferenceDevice.Resolve("auto", torchUse: null));
        var torch = InferenceDevice.Resolve("auto", torchUse: "The TorchSharp engine");
        Assert.Equal("cpu", torch.Name);
        Assert.NotNull(torch.Torch);
    }
}
