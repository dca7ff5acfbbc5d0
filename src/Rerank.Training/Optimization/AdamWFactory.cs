using TorchSharp;
using TorchSharp.Modules;

namespace Rerank.Training.Optimization;

/// <summary>Creates TorchSharp's AdamW with the two Hugging Face parameter groups.</summary>
internal static class AdamWFactory
{
    /// <summary>
    /// AdamW over <paramref name="named"/>: group 0 decays with <paramref name="weightDecay"/>,
    /// group 1 (biases, LayerNorm weights) has decay 0. Both start at <paramref name="learningRate"/>;
    /// the trainer sets each group's rate from the schedule before every update.
    /// </summary>
    public static AdamW Create(
        IEnumerable<(string Name, Parameter Parameter)> named,
        double learningRate,
        double weightDecay,
        double beta1 = 0.9,
        double beta2 = 0.999,
        double epsilon = 1e-8)
    {
        var (decayed, exempt) = WeightDecayGroups.Split(named);
        var groups = new List<AdamW.ParamGroup>();
        if (decayed.Count > 0)
        {
            groups.Add(new AdamW.ParamGroup(decayed.Select(x => x.Parameter), learningRate, beta1, beta2, epsilon, weightDecay, false, false));
        }
        if (exempt.Count > 0)
        {
            groups.Add(new AdamW.ParamGroup(exempt.Select(x => x.Parameter), learningRate, beta1, beta2, epsilon, 0.0, false, false));
        }
        if (groups.Count == 0) throw new InvalidOperationException("The model has no trainable parameters.");
        return torch.optim.AdamW(groups, learningRate, beta1, beta2, epsilon, weightDecay, false, false);
    }

    /// <summary>Sets every parameter group's learning rate.</summary>
    public static void SetLearningRate(torch.optim.Optimizer optimizer, double learningRate)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
    }
}
