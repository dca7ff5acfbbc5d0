using Rerank.Lucene;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Training.Trainer;

/// <summary>
/// The library's classification model of any supported architecture (<see cref="ISequenceClassifier"/>) as a
/// trainable cross-encoder: logits from encoded batches, and at the end a Hugging Face folder in the
/// architecture's own layout (<see cref="IModelArchitecture.Write"/>).
/// </summary>
internal sealed class SequenceClassifierAdapter : ITrainableCrossEncoder
{
    private readonly ISequenceClassifier _model;
    private readonly IModelArchitecture _architecture;
    private readonly IPairTokenizer _tokenizer;
    private readonly string _sourceFolder;
    private readonly int _maxLength;

    /// <summary>Wraps a model that is already on its training device.</summary>
    /// <param name="model">A one-label classification model.</param>
    /// <param name="architecture">Its architecture (how the folder is written).</param>
    /// <param name="tokenizer">The tokenizer the saved folder gets.</param>
    /// <param name="sourceFolder">The folder the model came from (its tokenizer files are carried over).</param>
    /// <param name="maxLength">The pair length trained at: the saved folder's <c>model_max_length</c>, so that
    /// sentence-transformers' CrossEncoder scores it at the same length as this library.</param>
    public SequenceClassifierAdapter(ISequenceClassifier model, IModelArchitecture architecture, IPairTokenizer tokenizer, string sourceFolder, int maxLength)
    {
        if (model.Config.Labels.Count != 1)
        {
            throw new InvalidInputException($"A cross-encoder reranker has one output label; the model has {model.Config.Labels.Count}. Start from a one-label cross-encoder or an encoder-only checkpoint.");
        }
        _model = model;
        _architecture = architecture;
        _tokenizer = tokenizer;
        _sourceFolder = sourceFolder;
        _maxLength = maxLength;
    }

    /// <summary>
    /// The refusal of a base whose head has several labels (an NLI model, say): what the trainer accepts instead.
    /// </summary>
    internal static InvalidInputException MultiLabelBase(string folder, BertConfig config) =>
        new($"'{folder}' is a classifier with {config.NumLabels} labels ({string.Join(", ", config.Labels)}); rerank-train fine-tunes a cross-encoder with one label "
            + "(num_labels: 1) or an encoder without a head (it adds a fresh one-label head). Pass a one-label cross-encoder or an encoder to --base.",
            folder);

    /// <summary>
    /// Loads a model folder of any supported architecture for fine-tuning on <paramref name="device"/>. An
    /// encoder-only checkpoint gets a fresh head initialised from <paramref name="seed"/>.
    /// </summary>
    public static SequenceClassifierAdapter Load(string folder, Device device, int seed, int maxLength)
    {
        var config = BertModelFolder.ReadConfig(folder);
        var architecture = ModelArchitectures.For(config);
        var (weights, source) = BertModelFolder.ReadWeights(folder);
        var hasHead = architecture.HeadKeys.Any(weights.ContainsKey);
        if (!hasHead)
        {
            // An encoder-only base (e.g. the bundled MiniLM, whose config leaves num_labels at Hugging
            // Face's default of 2) becomes a cross-encoder: one logit, scored through a sigmoid.
            config = config with { Labels = ["LABEL_0"], Activation = ScoreActivation.Sigmoid, Architectures = [architecture.ClassName] };
        }
        else if (config.NumLabels != 1)
        {
            throw MultiLabelBase(folder, config);
        }
        var model = architecture.Create(config);
        try
        {
            architecture.LoadWeights(model, weights, source, ClassifierHeadPolicy.AllowFresh);
            if (!model.HasTrainedHead) model.InitializeFreshHead(seed);
            var tokenizer = architecture.ReadTokenizer(folder, config).Tokenizer;
            model.Module.to(device);
            return new SequenceClassifierAdapter(model, architecture, tokenizer, folder, maxLength);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The wrapped model.</summary>
    public ISequenceClassifier Model => _model;

    /// <inheritdoc />
    public nn.Module Module => _model.Module;

    /// <inheritdoc />
    public Tensor Logits(EncodedPairBatch batch, Device device, TrainingPrecision precision)
    {
        if (precision != TrainingPrecision.Fp32)
        {
            throw new InvalidInputException("The cross-encoder models have no mixed-precision (bf16) training forward yet; train with --precision fp32.");
        }
        using var scope = NewDisposeScope();
        var shape = new long[] { batch.Rows, batch.Length };
        var ids = tensor(batch.InputIds, shape, device: device);
        var types = tensor(batch.TokenTypeIds, shape, device: device);
        var mask = tensor(batch.AttentionMask, shape, device: device);
        return _model.Logits(ids, types, mask).squeeze(-1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void SaveModelFolder(string folder, bool float16, bool overwrite)
    {
        _model.MarkHeadTrained();
        BertModelFolder.SaveClassifier(folder, _architecture, _model, _tokenizer, _sourceFolder, _maxLength, float16, overwrite);
    }
}
