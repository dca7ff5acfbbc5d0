using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Reranking;

// The engine choice, and the ONNX Runtime engine: loading without TorchSharp, and the forward.
public sealed partial class CrossEncoder
{
    /// <summary>The engine that runs the forward pass (never auto): torchsharp or onnxruntime.</summary>
    public InferenceEngine Engine { get; }

    /// <summary>The precision inference runs in (never auto).</summary>
    public Precision Precision { get; }

    /// <summary>Why this engine and precision: "requested", or the auto rule that chose them.</summary>
    public string EngineReason { get; }

    /// <summary>
    /// One line for logs, e.g. "onnxruntime int8 on cpu (auto: int8 on a CPU with int8 dot-product instructions)".
    /// </summary>
    public string EngineDescription =>
        $"{InferenceEngineSelection.Name(Engine)} {InferenceEngineSelection.Name(Precision)} on {Device} ({EngineReason})";

    private sealed record EngineChoice(InferenceEngine Engine, Precision Precision, string Reason, OnnxRuntimeSession? Scorer);

    /// <summary>Why the ONNX Runtime engine cannot score this folder (it exports one-label BERT cross-encoders); null when it can.</summary>
    private static string? OnnxRefusal(string modelPath, BertConfig config)
    {
        if (!BertOnnxExporter.Supports(config))
            return $"'{modelPath}' is {Words.Article(config.ModelType)} {config.ModelType} model; the ONNX Runtime engine exports BERT models only. Use the TorchSharp engine (--engine torchsharp) for this model.";
        if (config.NumLabels != 1)
            return $"'{modelPath}' has {config.NumLabels} labels; the ONNX Runtime engine scores one-label cross-encoders only. Use the TorchSharp engine (--engine torchsharp) for this model.";
        return null;
    }

    /// <summary>Why the TorchSharp engine is certain to run (and libtorch needed) whatever the device; null when ONNX Runtime may run.</summary>
    private static string? TorchUse(string modelPath, BertConfig config, CrossEncoderOptions options, string? onnxRefusal)
    {
        if (options.Engine == InferenceEngine.TorchSharp) return "The TorchSharp engine (engine torchsharp, requested)";
        if (options.Precision == Reranking.Precision.Bf16) return "Precision bf16 (it runs on the TorchSharp engine)";
        if (options.Engine == InferenceEngine.Auto && onnxRefusal is not null)
        {
            var what = BertOnnxExporter.Supports(config) ? $"a BERT model with {config.NumLabels} labels" : $"{Words.Article(config.ModelType)} {config.ModelType} model";
            return $"Reranking with '{modelPath}' ({what}, which only the TorchSharp engine runs)";
        }
        return null;
    }

    /// <summary>
    /// Loads a one-label BERT cross-encoder for ONNX Runtime on the CPU without TorchSharp: the weights, checked as strictly
    /// as loading them into the module, go straight from the folder into the exported graph (the same graph, from the same
    /// float32 values, as exporting the loaded TorchSharp model).
    /// </summary>
    private static CrossEncoder LoadOnnx(string modelPath, BertConfig config, IModelArchitecture architecture, string? onnxRefusal, InferenceDevice device,
        CrossEncoderOptions options, Precision precision, string reason)
    {
        if (onnxRefusal is not null) throw new InvalidInputException(onnxRefusal, modelPath);
        // Weights first: an encoder without a trained head is refused for that reason, whatever its config says.
        var weights = BertModelFolder.ReadTrainedBertClassifierWeights(modelPath, config);
        var (settings, encoder, maxLength, label) = ScoringSettings(modelPath, architecture, config, options);
        var linear = precision == Reranking.Precision.Int8 ? OnnxLinearPrecision.Int8 : OnnxLinearPrecision.Fp32;
        var session = new OnnxRuntimeSession(BertOnnxExporter.Export(config, weights, linear, modelPath), options.Threads);
        return new CrossEncoder(modelPath, config, null, encoder, null, device.Name, options, maxLength, settings,
            new EngineChoice(InferenceEngine.OnnxRuntime, precision, reason, session)) { _label = label };
    }

    private float[] ForwardOnnx(EncodedBatch batch)
    {
        var logits = _onnx!.Logits(batch);
        if (Activation == ScoreActivation.Sigmoid)
        {
            for (var i = 0; i < logits.Length; i++) logits[i] = 1f / (1f + MathF.Exp(-logits[i]));
        }
        return logits;
    }
}
