using TorchSharp.Modules;

namespace Rerank.Training.Optimization;

/// <summary>
/// Splits named parameters into those that get weight decay and those that do not, as Hugging
/// Face's Trainer does: biases and LayerNorm weights are not decayed (decaying a LayerNorm's
/// gain or a bias pulls it towards 0, which is not a useful prior).
/// </summary>
internal static class WeightDecayGroups
{
    /// <summary>True when a parameter of this (Hugging Face style) name is exempt from weight decay.</summary>
    public static bool IsExempt(string name)
    {
        var last = name.LastIndexOf('.');
        var leaf = last < 0 ? name : name[(last + 1)..];
        var owner = last < 0 ? "" : name[..last];
        var ownerLeaf = owner[(owner.LastIndexOf('.') + 1)..];
        if (leaf == "bias") return true;
        return ownerLeaf.Contains("LayerNorm", StringComparison.Ordinal)
            || ownerLeaf.Contains("layer_norm", StringComparison.OrdinalIgnoreCase)
            || ownerLeaf.Equals("norm", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Splits parameters (in their given order) into (decayed, exempt) name lists.</summary>
    public static (IReadOnlyList<(string Name, Parameter Parameter)> Decayed, IReadOnlyList<(string Name, Parameter Parameter)> Exempt)
        Split(IEnumerable<(string Name, Parameter Parameter)> named)
    {
        var decayed = new List<(string, Parameter)>();
        var exempt = new List<(string, Parameter)>();
        foreach (var (name, p) in named)
        {
            if (!p.requires_grad) continue;
            (IsExempt(name) ? exempt : decayed).Add((name, p));
        }
        return (decayed, exempt);
    }
}
