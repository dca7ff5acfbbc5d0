using Microsoft.ML.OnnxRuntime;
using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// Runs a BERT graph exported by <see cref="BertOnnxExporter"/> (cross-encoder or bi-encoder) in ONNX Runtime on
/// the CPU: one session, intra-op threads as asked (inter-op 1, sequential), basic graph optimisations.
/// Not thread-safe by itself; <see cref="Reranking.CrossEncoder"/> and <see cref="Embedding.BiEncoder"/> serialise calls.
/// </summary>
internal sealed class OnnxRuntimeSession : IDisposable
{
    private static readonly string[] InputNames = ["input_ids", "token_type_ids", "attention_mask"];

    private readonly string[] _outputNames;
    private readonly SessionOptions _sessionOptions;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    /// <summary>Exports a BERT sequence classifier and opens a session on it (output <see cref="BertOnnxExporter.LogitsOutput"/>).</summary>
    /// <param name="model">A loaded BERT sequence classifier (only its weights and config are read).</param>
    /// <param name="precision">Fp32 or Int8 linears.</param>
    /// <param name="threads">Intra-op threads; null for ONNX Runtime's default (one per physical core).</param>
    /// <param name="source">Names the model in error messages.</param>
    public OnnxRuntimeSession(BertForSequenceClassification model, OnnxLinearPrecision precision, int? threads, string source)
        : this(BertOnnxExporter.Export(model.Config, model.ExportWeights(), precision, source), threads)
    {
    }

    /// <summary>Opens a session on serialised ONNX bytes.</summary>
    /// <param name="onnxModel">The model, as <see cref="BertOnnxExporter"/> writes it.</param>
    /// <param name="threads">Intra-op threads; null for ONNX Runtime's default.</param>
    /// <param name="output">The output <see cref="Run"/> returns: <see cref="BertOnnxExporter.LogitsOutput"/> or
    /// <see cref="BertOnnxExporter.SentenceEmbeddingOutput"/>.</param>
    public OnnxRuntimeSession(byte[] onnxModel, int? threads, string output = BertOnnxExporter.LogitsOutput)
    {
        _outputNames = [output];
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

    /// <summary>The output of one right-padded batch, row-major [batch, width] (width: labels or hidden size).</summary>
    public float[] Run(EncodedBatch batch)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        using var ids = OrtValue.CreateTensorValueFromMemory(batch.InputIds, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(batch.TokenTypeIds, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, shape);
        using var outputs = _session.Run(_runOptions, InputNames, [ids, types, mask], _outputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Logits [batch] of one right-padded batch through a cross-encoder graph (first label).</summary>
    public float[] Logits(EncodedBatch batch)
    {
        var logits = Run(batch);
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
