using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Training.Trainer;

/// <summary>
/// The seam to the model: a TorchSharp module whose parameters carry Hugging Face names, a
/// forward from an encoded batch to one relevance logit per pair, and a save to a model folder.
/// </summary>
internal interface ITrainableCrossEncoder
{
    /// <summary>The module: its parameters are trained, its state dict is checkpointed, train()/eval() toggle dropout.</summary>
    nn.Module Module { get; }

    /// <summary>Logits of shape [rows] on <paramref name="device"/>, attached to the autograd graph.</summary>
    /// <param name="batch">The encoded pairs.</param>
    /// <param name="device">The module's device; inputs are created there.</param>
    /// <param name="precision">bf16 asks for bf16 activations over fp32 weights (CUDA only).</param>
    Tensor Logits(EncodedPairBatch batch, Device device, TrainingPrecision precision);

    /// <summary>Writes the model in Hugging Face layout (config, weights, tokenizer files) to <paramref name="folder"/>.</summary>
    void SaveModelFolder(string folder, bool float16, bool overwrite);
}
