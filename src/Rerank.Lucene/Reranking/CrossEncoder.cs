using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;
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
    private readonly ISequenceClassifier? _model; // set when TorchSharp runs the forward
    private readonly BertConfig _config;
    private readonly OnnxRuntimeSession? _onnx; // set when the ONNX Runtime engine runs the forward (CrossEncoder.Onnx.cs)
    private readonly IPairTokenizer _encoder;
    private readonly Device? _device; // the TorchSharp device; null for ONNX Runtime, which never loads libtorch
    private readonly Lock _gate = new();
    private int? _label;
    private bool _disposed;

    private CrossEncoder(string modelPath, BertConfig config, ISequenceClassifier? model, IPairTokenizer encoder, Device? device, string deviceName,
        CrossEncoderOptions options, int maxLength, RerankerSettings settings, EngineChoice engine)
    {
        ModelPath = modelPath;
        _config = config;
        _model = model;
        _onnx = engine.Scorer;
        Engine = engine.Engine;
        Precision = engine.Precision;
        EngineReason = engine.Reason;
        _encoder = encoder;
        _device = device;
        Device = deviceName;
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
    public string Device { get; }

    /// <summary>The activation applied to logits, from the model's config.</summary>
    public ScoreActivation Activation => _config.Activation;

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
        InferenceEngineSelection.RequireCompatibleRequest(options.Engine, options.Precision, options.Device);
        if (!Directory.Exists(modelPath))
            throw new InvalidInputException(
                $"Model folder '{modelPath}' does not exist. Pass a Hugging Face cross-encoder folder: config.json, the weights (model.safetensors, sharded safetensors or pytorch_model.bin) and the tokenizer (vocab.txt or tokenizer.json), e.g. one downloaded from the Hub or written by rerank-train.",
                modelPath);

        // The device and engine are decided from config.json before any weights are read, so that ONNX Runtime on the
        // CPU (the default for one-label BERT cross-encoders) never loads libtorch.
        var config = BertModelFolder.ReadConfig(modelPath);
        var architecture = ModelArchitectures.For(config);
        var onnxRefusal = OnnxRefusal(modelPath, config);
        var device = InferenceDevice.Resolve(options.Device, TorchUse(modelPath, config, options, onnxRefusal));
        var choice = InferenceEngineSelection.Resolve(
            options.Engine, options.Precision, device.IsCuda, InferenceEngineSelection.CpuHasInt8DotProduct, onnxExportable: onnxRefusal is null);
        var reason = device.Note is null ? choice.Reason : $"{choice.Reason}; {device.Note}";
        if (choice.Engine == InferenceEngine.OnnxRuntime) return LoadOnnx(modelPath, config, architecture, onnxRefusal, device, options, choice.Precision, reason);

        return LoadTorch(modelPath, architecture, device, options, choice.Precision, new EngineChoice(choice.Engine, choice.Precision, reason, null));
    }

    // The TorchSharp engine (CUDA, bf16, or asked for): the model built and loaded by TorchSharp.
    private static CrossEncoder LoadTorch(string modelPath, IModelArchitecture architecture, InferenceDevice device, CrossEncoderOptions options,
        Precision precision, EngineChoice engine)
    {
        var torchDevice = device.TorchDevice("The TorchSharp engine");
        if (options.Threads is { } threads) TorchRuntime.SetThreads(threads);
        // Weights first: an encoder without a trained head is refused for that reason, whatever its config says.
        var (_, model) = BertModelFolder.LoadClassifier(modelPath, ClassifierHeadPolicy.RequireTrained);
        try
        {
            var (settings, encoder, maxLength, label) = ScoringSettings(modelPath, architecture, model.Config, options);
            if (precision == Reranking.Precision.Bf16) model.UseBFloat16();
            model.Module.to(torchDevice);
            model.Module.eval();
            return new CrossEncoder(modelPath, model.Config, model, encoder, torchDevice, torchDevice.ToString(), options, maxLength, settings, engine) { _label = label };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>What <c>searchrerank.json</c>, the tokenizer and the options say about scoring: settings, tokenizer, pair length, label.</summary>
    private static (RerankerSettings Settings, IPairTokenizer Encoder, int MaxLength, int? Label) ScoringSettings(
        string modelPath, IModelArchitecture architecture, BertConfig config, CrossEncoderOptions options)
    {
        var settings = RerankerSettings.Read(modelPath);
        var (encoder, modelMaxLength) = architecture.ReadTokenizer(modelPath, config);
        var maxLength = ScoringLength(modelPath, options.MaxLength, settings.MaxLength, modelMaxLength, architecture.UsablePositions(config));
        var label = ResolveLabel(modelPath, config, options.Label);
        return (settings, encoder, maxLength, label);
    }

    /// <summary>
    /// The pair length scored at, decided as sentence-transformers' <c>CrossEncoder</c> decides it, so that a
    /// folder scores the same here and in <c>CrossEncoder(path).predict</c>: an explicit length (the
    /// <c>max_length</c> argument there, <see cref="CrossEncoderOptions.MaxLength"/> here) first; then
    /// <c>max_length</c> of <c>searchrerank.json</c> (this library's record of the training length, which
    /// rerank-train also writes as <c>model_max_length</c>); then <c>model_max_length</c> of
    /// <c>tokenizer_config.json</c> (what CrossEncoder truncates to by default); then the model's positions.
    /// Where Hugging Face has no limit (no model_max_length) or one beyond the positions, Python fails on a
    /// longer pair; here it is truncated to the positions.
    /// </summary>
    internal static int ScoringLength(string modelPath, int? explicitLength, int? settingsLength, int? modelMaxLength, int maxPositions)
    {
        if (explicitLength is { } chosen)
        {
            if (chosen < 4 || chosen > maxPositions)
                throw new InvalidInputException(
                    $"Max length {chosen} is out of range for '{modelPath}': expected 4 to {maxPositions} (the positions the model reads). Lower --max-length.");
            return chosen;
        }

        if (settingsLength is { } stored)
        {
            if (stored < 4 || stored > maxPositions)
                throw new InvalidInputException(
                    $"'{Path.Combine(modelPath, RerankerSettings.FileName)}': max_length {stored} is out of range: expected 4 to {maxPositions} (the positions the model reads). Fix the file.",
                    modelPath);
            return stored;
        }

        var fromTokenizer = Math.Min(modelMaxLength ?? maxPositions, maxPositions);
        if (fromTokenizer < 4)
            throw new InvalidInputException(
                $"'{Path.Combine(modelPath, BertTokenizerFolder.TokenizerConfigFile)}': model_max_length {fromTokenizer} is below 4, too short for a pair. Pass --max-length or fix the file.",
                modelPath);
        return fromTokenizer;
    }

    /// <summary>The label column reranking uses: 0 for a one-label head; the chosen one of several; else none (refused when ranking).</summary>
    private static int? ResolveLabel(string modelPath, BertConfig config, string? label)
    {
        if (label is null) return config.NumLabels == 1 ? 0 : null;
        var index = config.Labels.ToList().IndexOf(label);
        if (index < 0 && int.TryParse(label, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number < config.NumLabels) index = number;
        if (index < 0)
            throw new InvalidInputException(
                $"Label '{label}' is not one of the {config.NumLabels} labels of '{modelPath}' ({string.Join(", ", config.Labels)}); give a label name or index from config.json's id2label.",
                modelPath);
        return index;
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
    /// <returns>One score per pair: the activated logit of the one label, or of <see cref="CrossEncoderOptions.Label"/>.</returns>
    /// <exception cref="InvalidInputException">The model has several labels and <see cref="CrossEncoderOptions.Label"/> picks none.</exception>
    public float[] Predict(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (_label is not { } label)
            throw new InvalidInputException(
                $"'{ModelPath}' has {Labels.Count} labels ({string.Join(", ", Labels)}); ranking needs one score per pair. "
                + "Pick the label to rank by (CrossEncoderOptions.Label in the library) or use a one-label cross-encoder; 'search-host score' prints every label.",
                ModelPath);
        var all = PredictLabels(pairs, ct);
        var scores = new float[all.Length];
        for (var i = 0; i < all.Length; i++) scores[i] = all[i][label];
        return scores;
    }

    /// <summary>
    /// Scores pairs with every label of the head, as <c>CrossEncoder.predict</c> returns them: one row per pair of
    /// <see cref="Labels"/>.Count activated logits (the identity for several labels unless config.json names an activation).
    /// </summary>
    /// <param name="pairs">The pairs.</param>
    /// <param name="ct">Cancels between batches (<see cref="OperationCanceledException"/>).</param>
    public float[][] PredictLabels(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) return [];

        var encodings = new PairEncoding[pairs.Count];
        for (var i = 0; i < pairs.Count; i++) encodings[i] = _encoder.Encode(pairs[i].Query, pairs[i].Document, MaxLength);
        var width = Labels.Count;
        float[] flat;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            flat = LengthSortedBatches.Run(encodings, Options.BatchSize, width, _encoder.Pad, Forward, ct);
        }

        var rows = new float[pairs.Count][];
        for (var i = 0; i < rows.Length; i++) rows[i] = flat.AsSpan(i * width, width).ToArray();
        return rows;
    }

    /// <summary>The head's output labels in id order (config.json's id2label); ranking uses one.</summary>
    public IReadOnlyList<string> Labels => _config.Labels;

    /// <summary>One padded batch through the model; returns activated logits [batch, labels] on the host.</summary>
    private float[] Forward(EncodedBatch batch)
    {
        if (_onnx is not null) return ForwardOnnx(batch);
        return ForwardTorch(batch);
    }

    // Kept apart from Forward so that the ONNX Runtime path never compiles a method that touches TorchSharp.
    private float[] ForwardTorch(EncodedBatch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, types, mask) = LengthSortedBatches.ToTensors(batch, _device!);
        var logits = _model!.Logits(ids, types, mask);
        var activated = Activation == ScoreActivation.Sigmoid ? logits.sigmoid() : logits;
        return activated.contiguous().cpu().data<float>().ToArray();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _model?.Dispose();
            _onnx?.Dispose();
        }
    }
}
