using Rerank.Lucene.Indexing;
using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

public sealed class DocumentTextTests
{
    [Theory]
    [InlineData("Aspirin.", "It thins blood.", "Aspirin. It thins blood.")]
    [InlineData("Coffee", "Caffeine keeps you awake.", "Coffee Caffeine keeps you awake.")]
    [InlineData("", "Sleep restores the brain.", "Sleep restores the brain.")]
    [InlineData(null, "Sleep restores the brain.", "Sleep restores the brain.")]
    [InlineData("Only a title", "", "Only a title")]
    public void Join_TitleAndText_AsBeirRerank(string? title, string text, string expected) =>
        Assert.Equal(expected, DocumentText.Join(title, text));

    [Fact]
    public void FromIndex_CorpusDocument_KeepsIdAndJoinsText() =>
        Assert.Equal(new TrainingDocument("d1", "Aspirin. It thins blood."), TrainingDocument.FromIndex(new CorpusDocument("d1", "Aspirin.", "It thins blood.")));
}
