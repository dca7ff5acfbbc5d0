using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// A Hugging Face <c>*ForSequenceClassification</c> model of any supported architecture (an encoder and its
/// classification head): what the cross-encoder scores with and the trainer fine-tunes. One class per architecture
/// implements it (<see cref="BertForSequenceClassification"/>, <see cref="XlmRoberta.XlmRobertaForSequenceClassification"/>);
/// its state-dict keys are the checkpoint's.
/// </summary>
internal interface ISequenceClassifier : IDisposable
{
    /// <summary>The configuration (config.json) the model was built from.</summary>
    BertConfig Config { get; }

    /// <summary>The model as a TorchSharp module (for devices, training mode, parameters).</summary>
    nn.Module Module { get; }

    /// <summary>True when the classification head came from a checkpoint (or was marked trained).</summary>
    bool HasTrainedHead { get; }

    /// <summary>Logits [B, num_labels] as float32 for ids, token types and attention mask, each [B, L] int64.</summary>
    Tensor Logits(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask);

    /// <summary>Re-initialises the head's output layer from <paramref name="seed"/>; <see cref="HasTrainedHead"/> becomes false.</summary>
    void InitializeFreshHead(long seed);

    /// <summary>Records that the head has been trained.</summary>
    void MarkHeadTrained();

    /// <summary>All weights on the host as float32, by checkpoint key.</summary>
    Dictionary<string, TensorData> ExportWeights();

    /// <summary>Casts the weights to bfloat16 for inference (logits stay float32).</summary>
    void UseBFloat16();
}
