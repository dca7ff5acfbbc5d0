using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// What every <see cref="ISequenceClassifier"/> does the same way with its weights: strict loading of a Hugging Face
/// state dict (a bare encoder's keys get the architecture's prefix; an absent head is refused or allowed by
/// <see cref="ClassifierHeadPolicy"/>), and a fresh head drawn from N(0, initializer_range).
/// </summary>
internal static class SequenceClassifierWeights
{
    /// <summary>
    /// Loads <paramref name="weights"/> into <paramref name="model"/> strictly (missing, unexpected and mis-shaped keys listed).
    /// Keys of the bare encoder (no <paramref name="prefix"/>) are prefixed, head keys are kept as they are. The head is
    /// the part of <paramref name="headKeys"/> the model has (optional biases may be absent from it).
    /// </summary>
    /// <param name="model">The classifier module, whose state-dict keys are the Hugging Face names.</param>
    /// <param name="weights">The checkpoint's tensors by name.</param>
    /// <param name="source">The file named in messages.</param>
    /// <param name="family">The config.json model_type the weights must belong to (<see cref="ModelArchitectures.CheckWeightsFamily"/>).</param>
    /// <param name="prefix">The encoder's key prefix, e.g. "bert.".</param>
    /// <param name="headKeys">The head's keys.</param>
    /// <param name="headNoun">How messages call the head, e.g. "classifier head".</param>
    /// <param name="headPolicy">Whether a checkpoint without the head is refused.</param>
    /// <returns>Whether the checkpoint held the head (a trained head).</returns>
    /// <exception cref="InvalidInputException">Keys or shapes do not match, the weights are another family's, or the head is required and absent.</exception>
    public static bool Load(nn.Module model, IReadOnlyDictionary<string, TensorData> weights, string source, string family, string prefix,
        IReadOnlySet<string> headKeys, string headNoun, ClassifierHeadPolicy headPolicy)
    {
        var modelKeys = model.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
        var (mapped, hasHead, allowedMissing) = Prepare(modelKeys, weights, source, family, prefix, headKeys, headNoun, headPolicy);
        StrictWeightLoader.Load(model, mapped, source, allowedMissing);
        return hasHead;
    }

    /// <summary>
    /// What <see cref="Load"/> does before copying, without a module: refuses another family's weights, prefixes a bare
    /// encoder's keys, and finds whether the head is there (refusing its absence under <see cref="ClassifierHeadPolicy.RequireTrained"/>).
    /// </summary>
    /// <param name="modelKeys">The model's state-dict keys (a TorchSharp module's, or <see cref="BertWeightLayout"/>'s).</param>
    /// <param name="weights">The checkpoint's tensors by name.</param>
    /// <param name="source">The file named in messages.</param>
    /// <param name="family">The config.json model_type the weights must belong to.</param>
    /// <param name="prefix">The encoder's key prefix, e.g. "bert.".</param>
    /// <param name="headKeys">The head's keys.</param>
    /// <param name="headNoun">How messages call the head.</param>
    /// <param name="headPolicy">Whether a checkpoint without the head is refused.</param>
    /// <returns>The weights under the model's keys, whether the head was there, and the head keys allowed missing (null when it was there).</returns>
    /// <exception cref="InvalidInputException">The weights are another family's, or the head is required and absent.</exception>
    public static (IReadOnlyDictionary<string, TensorData> Mapped, bool HasHead, IReadOnlySet<string>? AllowedMissing) Prepare(
        IReadOnlySet<string> modelKeys, IReadOnlyDictionary<string, TensorData> weights, string source, string family, string prefix,
        IReadOnlySet<string> headKeys, string headNoun, ClassifierHeadPolicy headPolicy)
    {
        ModelArchitectures.CheckWeightsFamily(family, weights.Keys.ToList(), source);
        var mapped = weights.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal))
            ? weights
            : weights.ToDictionary(p => headKeys.Contains(p.Key) ? p.Key : prefix + p.Key, p => p.Value, StringComparer.Ordinal);
        var expectedHead = headKeys.Where(modelKeys.Contains).ToList();
        var hasHead = expectedHead.Any(mapped.ContainsKey);
        if (!hasHead && headPolicy == ClassifierHeadPolicy.RequireTrained)
            throw new InvalidInputException(
                $"'{source}' has no {headNoun} ({string.Join(", ", expectedHead)}): it is an encoder-only checkpoint. "
                + "Ranking needs a trained cross-encoder; fine-tune this encoder first (rerank-train) or point to a cross-encoder model folder.",
                source);
        return (mapped, hasHead, hasHead ? null : expectedHead.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// Re-initialises <paramref name="linear"/> from N(0, <paramref name="initializerRange"/>) with a dedicated generator seeded by
    /// <paramref name="seed"/> (drawn on the CPU, so the head depends on the seed alone), bias 0.
    /// </summary>
    public static void InitializeLinear(Linear linear, long seed, double initializerRange)
    {
        using var generator = new Generator();
        generator.manual_seed(seed);
        using (no_grad())
        {
            using var weight = randn(linear.weight!.shape, generator: generator).mul_(initializerRange);
            linear.weight.copy_(weight);
            linear.bias!.zero_();
        }
    }
}
