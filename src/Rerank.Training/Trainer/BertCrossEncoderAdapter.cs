using Rerank.Lucene;
using Rerank.Lucene.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Training.Trainer;

/// <summary>
/// The library's <see cref="BertForSequenceClassification"/> as a trainable cross-encoder: logits
/// from encoded batches, and a Hugging Face folder (config, safetensors, vocabulary) at the end.
/// </summary>
internal sealed class BertCrossEncoderAdapter : ITrainableCrossEncoder
{
    private readonly BertForSequenceClassification _model;
    private readonly string _vocabPath;

    /// <summary>Wraps a model that is already on its training device.</summary>
    /// <param name="model">A one-label classification model.</param>
    /// <param name="vocabPath">The vocabulary copied into the saved folder.</param>
    public BertCrossEncoderAdapter(BertForSequenceClassification model, string vocabPath)
    {
        if (model.Config.Labels.Count != 1)
        {
            throw new InvalidInputException($"A cross-encoder reranker has one output label; the model has {model.Config.Labels.Count}. Start from a one-label cross-encoder or an encoder-only checkpoint.");
        }
        _model = model;
        _vocabPath = vocabPath;
    }

    /// <summary>
    /// Loads a model folder for fine-tuning on <paramref name="device"/>. An encoder-only
    /// checkpoint gets a fresh head initialised from <paramref name="seed"/>.
    /// </summary>
    public static BertCrossEncoderAdapter Load(string folder, Device device, int seed)
    {
        var config = BertModelFolder.ReadConfig(folder);
        var (weights, source) = BertModelFolder.ReadWeights(folder);
        var hasHead = BertForSequenceClassification.HeadKeys.Any(weights.ContainsKey);
        if (!hasHead)
        {
            // An encoder-only base (e.g. the bundled MiniLM, whose config leaves num_labels at Hugging
            // Face's default of 2) becomes a cross-encoder: one logit, scored through a sigmoid.
            config = config with { Labels = ["LABEL_0"], Activation = ScoreActivation.Sigmoid, Architectures = ["BertForSequenceClassification"] };
        }
        else if (config.NumLabels != 1)
        {
            throw new InvalidInputException(
                $"'{folder}' is a classifier with {config.NumLabels} labels; a cross-encoder to fine-tune must have 1 (num_labels: 1), or no head at all. Pass a BERT encoder or a one-label cross-encoder to --base.",
                folder);
        }
        var model = new BertForSequenceClassification(config);
        try
        {
            model.LoadWeights(weights, source, ClassifierHeadPolicy.AllowFresh);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        if (!model.HasTrainedHead) model.InitializeFreshHead(seed);
        model.to(device);
        return new BertCrossEncoderAdapter(model, Path.Combine(folder, BertModelFolder.VocabFile));
    }

    /// <summary>The wrapped model.</summary>
    public BertForSequenceClassification Model => _model;

    /// <inheritdoc />
    public nn.Module Module => _model;

    /// <inheritdoc />
    public Tensor Logits(EncodedPairBatch batch, Device device, TrainingPrecision precision)
    {
        if (precision != TrainingPrecision.Fp32)
        {
            throw new InvalidInputException("The BERT model has no mixed-precision (bf16) training forward yet; train with --precision fp32.");
        }
        using var scope = NewDisposeScope();
        var shape = new long[] { batch.Rows, batch.Length };
        var ids = tensor(batch.InputIds, shape, device: device);
        var types = tensor(batch.TokenTypeIds, shape, device: device);
        var mask = tensor(batch.AttentionMask, shape, device: device);
        return _model.forward(ids, types, mask).squeeze(-1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void SaveModelFolder(string folder, bool float16, bool overwrite)
    {
        _model.MarkHeadTrained();
        BertModelFolder.Save(folder, _model, new BertFolderSaveOptions { VocabPath = _vocabPath, Overwrite = overwrite, Float16 = float16, ModelMaxLength = _model.Config.MaxPositionEmbeddings });
    }
}
