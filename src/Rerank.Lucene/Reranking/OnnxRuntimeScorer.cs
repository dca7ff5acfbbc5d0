using Microsoft.ML.OnnxRuntime;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Reranking;

/// <summary>
/// Runs a BERT cross-encoder exported by <see cref="BertOnnxExporter"/> in ONNX Runtime on the CPU:
/// one session, intra-op threads as asked (inter-op 1, sequential), all graph optimisations.
/// Not thread-safe by itself; <see cref="CrossEncoder"/> serialises calls.
/// </summary>
internal sealed class OnnxRuntimeScorer : IDisposable
{
    private static readonly string[] InputNames = ["input_ids", "token_type_ids", "attention_mask"];
    private static readonly string[] OutputNames = ["logits"];

    private readonly SessionOptions _sessionOptions;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    /// <summary>Exports <paramref name="model"/> and opens a session on it.</summary>
    /// <param name="model">A loaded BERT sequence classifier (only its weights and config are read).</param>
    /// <param name="precision">Fp32 or Int8 linears.</param>
    /// <param name="threads">Intra-op threads; null for ONNX Runtime's default (one per physical core).</param>
    /// <param name="source">Names the model in error messages.</param>
    public OnnxRuntimeScorer(BertForSequenceClassification model, OnnxLinearPrecision precision, int? threads, string source)
        : this(BertOnnxExporter.Export(model.Config, model.ExportWeights(), precision, source), threads)
    {
    }

    /// <summary>Opens a session on serialised ONNX bytes.</summary>
    public OnnxRuntimeScorer(byte[] onnxModel, int? threads)
    {
        _sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = threads ?? 0,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            // Basic only: the graph is fused by hand, and the extended level would fuse Add + LayerNormalization back into
            // SkipLayerNormalization, measured slower (docs/BENCHMARKS.md).
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC,
        };
        try
        {
            _session = new InferenceSession(onnxModel, _sessionOptions);
        }
        catch
        {
            _sessionOptions.Dispose();
            _runOptions.Dispose();
            throw;
        }
    }

    /// <summary>The ONNX Runtime version, e.g. "1.31.1".</summary>
    public static string RuntimeVersion => OrtEnv.Instance().GetVersionString();

    /// <summary>Logits [batch] of one right-padded batch (first label).</summary>
    public float[] Logits(EncodedBatch batch)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        using var ids = OrtValue.CreateTensorValueFromMemory(batch.InputIds, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(batch.TokenTypeIds, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, shape);
        using var outputs = _session.Run(_runOptions, InputNames, [ids, types, mask], OutputNames);
        var logits = outputs[0].GetTensorDataAsSpan<float>();
        var labels = logits.Length / batch.BatchSize;
        var result = new float[batch.BatchSize];
        for (var row = 0; row < result.Length; row++) result[row] = logits[row * labels];
        return result;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
        _sessionOptions.Dispose();
    }
}
