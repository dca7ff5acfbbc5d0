using Rerank.Training.Data;
using Rerank.Training.Trainer;

namespace Rerank.Lucene.Tests.Training.Trainer;

/// <summary>Small synthetic training data and helpers shared by the trainer tests.</summary>
internal static class TrainerFixtures
{
    private static readonly string[] Topics = ["protein folding", "solar panels", "river delta", "jazz piano", "tax law", "coral reef", "rail freight", "bird song", "glacier melt", "chess opening", "bread yeast", "moon tides"];

    /// <summary>One group per topic: the positive repeats the query's words, negatives come from other topics.</summary>
    public static IReadOnlyList<TrainingGroup> Groups(int count, int negatives)
    {
        var groups = new List<TrainingGroup>();
        for (var i = 0; i < count; i++)
        {
            var topic = Topics[i % Topics.Length];
            var positive = new TrainingDocument($"d{i}", $"{topic} is studied here and {topic} matters");
            var negs = Enumerable.Range(1, negatives)
                .Select(k => Topics[(i + 3 * k) % Topics.Length])
                .Select((t, k) => new TrainingDocument($"n{i}-{k}", $"{t} is described at length {new string('x', k)}"))
                .ToList();
            groups.Add(new TrainingGroup($"q{i}", $"what about {topic}", [positive], negs));
        }
        return groups;
    }

    /// <summary>A dev "metric" that depends on the model: the mean margin of positive over negative scores.</summary>
    public static double MeanMargin(IPairScorer scorer)
    {
        var scores = scorer.Score([("what about jazz piano", "jazz piano is studied here"), ("what about jazz piano", "tax law is described")]);
        return scores[0] - scores[1];
    }

    /// <summary>Options for a tiny run in a fresh folder.</summary>
    public static TrainingOptions TinyOptions(string output) => new()
    {
        OutputDirectory = output,
        LearningRate = 1e-3,
        BatchSize = 2,
        MaxLength = 24,
        Epochs = 1,
        NegativesPerPositive = 2,
        Seed = 7,
        Device = TrainingDevice.Cpu,
        CheckpointEverySteps = 0,
        LengthBucketBatches = 2,
        EvalBatchSize = 4,
    };
}

/// <summary>An IProgress that runs its handler synchronously on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
