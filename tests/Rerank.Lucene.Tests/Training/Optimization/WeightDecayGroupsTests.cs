using Rerank.Training.Optimization;

namespace Rerank.Lucene.Tests.Training.Optimization;

public sealed class WeightDecayGroupsTests
{
    [Theory]
    [InlineData("bert.encoder.layer.0.attention.self.query.weight", false)]
    [InlineData("bert.encoder.layer.0.attention.self.query.bias", true)]
    [InlineData("bert.encoder.layer.0.attention.output.LayerNorm.weight", true)]
    [InlineData("bert.embeddings.LayerNorm.bias", true)]
    [InlineData("bert.embeddings.word_embeddings.weight", false)]
    [InlineData("classifier.weight", false)]
    [InlineData("classifier.bias", true)]
    public void IsExempt_HuggingFaceNames_FollowsTrainerRule(string name, bool expected)
    {
        Assert.Equal(expected, WeightDecayGroups.IsExempt(name));
    }
}
