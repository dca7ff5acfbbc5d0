using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Reranking;

// The engine choice and the ONNX Runtime forward, kept apart from model loading.
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

    private static EngineChoice ChooseEngine(string modelPath, ISequenceClassifier model, Device device, CrossEncoderOptions options)
    {
        // The ONNX export covers BERT with one label; other architectures and multi-label heads run on TorchSharp.
        var bert = model as BertForSequenceClassification;
        var (engine, precision, reason) = InferenceEngineSelection.Resolve(
            options.Engine, options.Precision, device.type == DeviceType.CUDA, InferenceEngineSelection.CpuHasInt8DotProduct,
            onnxExportable: bert is not null && model.Config.NumLabels == 1 && BertOnnxExporter.Supports(model.Config));
        if (engine != InferenceEngine.OnnxRuntime) return new EngineChoice(engine, precision, reason, null);
        var linear = precision == Reranking.Precision.Int8 ? OnnxLinearPrecision.Int8 : OnnxLinearPrecision.Fp32;
        return new EngineChoice(engine, precision, reason, new OnnxRuntimeSession(bert!, linear, options.Threads, modelPath));
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
