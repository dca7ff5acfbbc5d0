using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rerank.Lucene.Modeling;

/// <summary>
/// Hugging Face's <c>BertPreTrainedModel._init_weights</c>: Linear and Embedding weights from
/// N(0, initializer_range), biases 0, LayerNorm weight 1 and bias 0.
/// </summary>
internal static class BertInitializer
{
    /// <summary>Initialises every Linear, Embedding and LayerNorm under <paramref name="root"/>.</summary>
    /// <param name="root">The module tree.</param>
    /// <param name="range">The standard deviation (<c>initializer_range</c>).</param>
    /// <param name="generator">Random source; null uses the global one (<c>torch.manual_seed</c>).</param>
    public static void Apply(nn.Module root, double range, Generator? generator = null)
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in root.named_modules().Prepend(("", root)))
        {
            switch (module)
            {
                case Linear linear:
                    nn.init.normal_(linear.weight, 0, range, generator);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
                case TorchSharp.Modules.Embedding embedding:
                    nn.init.normal_(embedding.weight, 0, range, generator);
                    break;
                case LayerNorm norm:
                    nn.init.ones_(norm.weight);
                    nn.init.zeros_(norm.bias);
                    break;
            }
        }
    }
}
