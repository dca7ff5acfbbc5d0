using Rerank.Lucene.Indexing;
using Rerank.Training.Data;

namespace Rerank.Lucene.Tests.Training.Data;

public sealed class TrainingDocumentTests
{
    // Training must read documents exactly as the reranker does (Rerank.Lucene.Reranking.DocumentText).
    [Theory]
    [InlineData("Aspirin.", "It thins blood.", "Aspirin. It thins blood.")]
    [InlineData("Coffee", "Caffeine keeps you awake.", "Coffee Caffeine keeps you awake.")]
    [InlineData("", "Sleep restores the brain.", "Sleep restores the brain.")]
    [InlineData("Only a title", "", "Only a title")]
    public void FromIndex_CorpusDocument_KeepsIdAndJoinsLikeTheReranker(string title, string text, string expected) =>
        Assert.Equal(new TrainingDocument("d1", expected), TrainingDocument.FromIndex(new CorpusDocument("d1", title, text)));
}
