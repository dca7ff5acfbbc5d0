using Rerank.Lucene.Indexing;
using Rerank.Training.Data;
using Rerank.Training.Mining;

namespace Rerank.Lucene.Tests.Training.Mining;

public sealed class CorpusNegativeSamplerTests
{
    private static readonly InMemoryDocumentStore Store = new(new[] { "a", "b", "c", "d", "e" }.Select(id => new CorpusDocument(id, "", "text " + id)));

    [Fact]
    public void Sample_ManySeeds_NeverExcludedNeverRepeated()
    {
        var excluded = new HashSet<string> { "a", "b" };
        for (var seed = 0; seed < 200; seed++)
        {
            var picked = CorpusNegativeSampler.Sample(Store, 2, excluded, SeededRandom.For(seed, "corpus-negatives", "q"));

            Assert.Equal(2, picked.Count);
            Assert.Equal(2, picked.Distinct().Count());
            Assert.DoesNotContain(picked, excluded.Contains);
        }
    }

    [Fact]
    public void Sample_AskForMoreThanEligible_ReturnsAllEligible() =>
        Assert.Equal(["c", "d", "e"], CorpusNegativeSampler.Sample(Store, 10, new HashSet<string> { "a", "b" }, new SeededRandom(9)).Order());

    [Fact]
    public void Sample_SameSeed_SameDraws() =>
        Assert.Equal(
            CorpusNegativeSampler.Sample(Store, 3, new HashSet<string>(), SeededRandom.For(1, "corpus-negatives", "q")),
            CorpusNegativeSampler.Sample(Store, 3, new HashSet<string>(), SeededRandom.For(1, "corpus-negatives", "q")));
}
