using Rerank.Lucene.Modeling;
using Rerank.Lucene.Native;
using Rerank.Lucene.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Reranking;

/// <summary>
/// A BERT cross-encoder that scores (query, document) pairs, loaded from a Hugging Face model folder
/// (<c>config.json</c>, <c>model.safetensors</c>, <c>vocab.txt</c>): the .NET counterpart of
/// sentence-transformers' <c>CrossEncoder.predict</c>. Scores go through the activation the folder's
/// config names (sigmoid for one-label cross-encoders unless it says otherwise).
/// </summary>
/// <remarks>
/// Pairs are sorted by length and each batch is padded only to its longest pair, which is 1.5-2x
/// faster on real documents than padding everything to the maximum. The forward runs on the engine
/// <see cref="Engine"/> names (by default ONNX Runtime fp32 on the CPU, TorchSharp on CUDA; see
/// <see cref="InferenceEngineSelection"/>); TorchSharp inference runs under
/// <c>no_grad</c> in eval mode with a dispose scope per batch; no tensor leaves this class.
/// Safe for concurrent callers: forward passes are serialised on the model.
/// A folder without a trained classifier head (a bare encoder) is refused: ranking with random
/// weights is never done silently.
/// </remarks>
/// <example>
/// <code>
/// using var encoder = CrossEncoder.Load("models/my-reranker");
/// float[] scores = encoder.Predict("what causes tides?", ["The moon's gravity ...", "Tidal power ..."]);
/// </code>
/// </example>
public sealed partial class CrossEncoder : IDisposable
{
    private readonly BertForSequenceClassification _model;
    private readonly OnnxRuntimeScorer? _onnx; // set when the ONNX Runtime engine runs the forward (CrossEncoder.Onnx.cs)
    private readonly BertPairEncoder _encoder;
    private readonly Device _device;
    private readonly Lock _gate = new();
    private bool _disposed;

    private CrossEncoder(string modelPath, BertForSequenceClassification model, BertPairEncoder encoder, Device device,
        CrossEncoderOptions options, int maxLength, RerankerSettings settings, EngineChoice engine)
    {
        ModelPath = modelPath;
        _model = model;
        _onnx = engine.Scorer;
        Engine = engine.Engine;
        Precision = engine.Precision;
        EngineReason = engine.Reason;
        _encoder = encoder;
        _device = device;
        Options = options;
        MaxLength = maxLength;
        Settings = settings;
    }

    /// <summary>The model folder this encoder was loaded from.</summary>
    public string ModelPath { get; }

    /// <summary>The options in effect.</summary>
    public CrossEncoderOptions Options { get; }

    /// <summary>The maximum pair length in tokens actually used.</summary>
    public int MaxLength { get; }

    /// <summary>The device inference runs on, e.g. "cpu" or "cuda:0".</summary>
    public string Device => _device.ToString();

    /// <summary>The activation applied to logits, from the model's config.</summary>
    public ScoreActivation Activation => _model.Config.Activation;

    /// <summary>Reranking settings stored with the model (e.g. the interpolation weight tuned on dev data).</summary>
    public RerankerSettings Settings { get; }

    /// <summary>Loads a cross-encoder from a Hugging Face model folder.</summary>
    /// <param name="modelPath">Folder with config.json, model.safetensors and vocab.txt.</param>
    /// <param name="options">Run options; null for the defaults.</param>
    /// <exception cref="InvalidInputException">Files are missing or invalid, the model has no trained
    /// one-label classifier head, or an option is out of range.</exception>
    public static CrossEncoder Load(string modelPath, CrossEncoderOptions? options = null)
    {
        options ??= new CrossEncoderOptions();
        if (options.BatchSize < 1)
            throw new InvalidInputException($"Batch size must be at least 1; got {options.BatchSize}. Use e.g. --batch-size 16.");
        if (!Directory.Exists(modelPath))
            throw new InvalidInputException(
                $"Model folder '{modelPath}' does not exist. Pass a folder with config.json, model.safetensors and vocab.txt (e.g. one written by rerank-train).",
                modelPath);

        TorchRuntime.EnsureLoaded();
        if (options.Threads is { } threads) TorchRuntime.SetThreads(threads);
        var device = TorchRuntime.SelectDevice(options.Device);

        // Weights first: an encoder without a trained head is refused for that reason, whatever its config says.
        var model = BertModelFolder.LoadForSequenceClassification(modelPath, ClassifierHeadPolicy.RequireTrained);
        try
        {
            var settings = RerankerSettings.Read(modelPath);
            var (encoder, maxLength) = PrepareTokenizer(modelPath, model.Config, options with { MaxLength = options.MaxLength ?? settings.MaxLength });
            var engine = ChooseEngine(modelPath, model, device, options);
            if (engine.Precision == Reranking.Precision.Bf16) model.UseBFloat16();
            model.to(device);
            model.eval();
            return new CrossEncoder(modelPath, model, encoder, device, options, maxLength, settings, engine);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static (BertPairEncoder Encoder, int MaxLength) PrepareTokenizer(string modelPath, BertConfig config, CrossEncoderOptions options)
    {
        if (config.NumLabels != 1)
            throw new InvalidInputException(
                $"'{Path.Combine(modelPath, BertModelFolder.ConfigFile)}' describes a classifier with {config.NumLabels} labels; a cross-encoder reranker has exactly 1 (num_labels: 1). Use a cross-encoder model folder.",
                modelPath);
        var maxLength = options.MaxLength ?? Math.Min(512, config.MaxPositionEmbeddings);
        if (maxLength < 4 || maxLength > config.MaxPositionEmbeddings)
            throw new InvalidInputException(
                $"Max length {maxLength} is out of range for '{modelPath}': expected 4 to {config.MaxPositionEmbeddings} (the model's max_position_embeddings). Lower --max-length.",
                modelPath);
        var vocab = Path.Combine(modelPath, BertModelFolder.VocabFile);
        if (!File.Exists(vocab))
            throw new InvalidInputException(
                $"Model folder '{modelPath}' has no {BertModelFolder.VocabFile}: the tokenizer's vocabulary is needed to encode pairs. Copy the base model's vocab.txt into the folder.",
                modelPath);
        return (new BertPairEncoder(vocab, new BertEncoderOptions { MaxPositions = config.MaxPositionEmbeddings }), maxLength);
    }

    /// <summary>
    /// The ids, token types and mask this encoder feeds the model for one pair (truncated to
    /// <see cref="MaxLength"/>, unpadded): for inspecting tokenization and for parity checks
    /// against other implementations.
    /// </summary>
    public PairEncoding Encode(string query, string document) => _encoder.Encode(query, document, MaxLength);

    /// <summary>Scores one query against many documents, in input order.</summary>
    /// <param name="query">The query.</param>
    /// <param name="documents">The documents.</param>
    /// <param name="ct">Cancels between batches (<see cref="OperationCanceledException"/>).</param>
    public float[] Predict(string query, IReadOnlyList<string> documents, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        return Predict(documents.Select(d => (query, d)).ToList(), ct);
    }

    /// <summary>Scores (query, document) pairs; result i belongs to pair i.</summary>
    /// <param name="pairs">The pairs.</param>
    /// <param name="ct">Cancels between batches (<see cref="OperationCanceledException"/>).</param>
    public float[] Predict(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) return [];

        var encodings = new PairEncoding[pairs.Count];
        for (var i = 0; i < pairs.Count; i++) encodings[i] = _encoder.Encode(pairs[i].Query, pairs[i].Document, MaxLength);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return LengthSortedBatches.Run(encodings, Options.BatchSize, 1, _encoder.Pad, Forward, ct);
        }
    }

    /// <summary>One padded batch through the model; returns activated scores on the host.</summary>
    private float[] Forward(EncodedBatch batch)
    {
        if (_onnx is not null) return ForwardOnnx(batch);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, types, mask) = LengthSortedBatches.ToTensors(batch, _device);
        var logits = _model.forward(ids, types, mask).squeeze(1);
        var activated = Activation == ScoreActivation.Sigmoid ? logits.sigmoid() : logits;
        return activated.cpu().data<float>().ToArray();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _model.Dispose();
            _onnx?.Dispose();
        }
    }
}
