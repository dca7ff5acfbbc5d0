using Rerank.Lucene.Embedding;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Retrieval;

/// <summary>RM3 for BM25 and Rocchio for dense retrieval, against hand-computed relevance models, vectors and rankings.</summary>
[Collection(TorchCollection.Name)]
public sealed class PseudoRelevanceFeedbackTests(DenseIndexFixture fixture) : IClassFixture<DenseIndexFixture>
{
    private static KeyValuePair<string, int> T(string term, int count) => new(term, count);

    [Fact]
    public void Expand_HandComputedRelevanceModel()
    {
        // q = {cat 1, dog 1} -> {cat .5, dog .5}. d1 (weight 2): cat 2, fish 1, bird 1, cut to its 2 heaviest: cat 2 and, of the
        // tied fish and bird, bird (first by ordinal); |d1| = 3. d2 (weight 1): fish 3 (cow is not a feedback term); |d2| = 3.
        // P(cat) ∝ 2 * 2/3 = 4/3; P(bird) ∝ 2 * 1/3 = 2/3; P(fish) ∝ 1 * 3/3 = 1. The 2 heaviest, normalised: cat 4/7, fish 3/7.
        // Mixed at 0.5: cat .25 + 2/7 = 0.535714, dog .25, fish 3/14 = 0.214286.
        var expanded = Rm3.Expand([T("cat", 1), T("dog", 1)],
            [([T("cat", 2), T("fish", 1), T("bird", 1)], 2.0), ([T("fish", 3), T("cow", 1)], 1.0)],
            term => term != "cow", new Rm3Options { FeedbackTerms = 2, OriginalQueryWeight = 0.5 });

        Assert.Equal(["cat", "dog", "fish"], expanded.Select(t => t.Key));
        Assert.Equal(0.5 * 0.5 + 0.5 * 4 / 7.0, expanded[0].Value, 12);
        Assert.Equal(0.25, expanded[1].Value, 12);
        Assert.Equal(0.5 * 3 / 7.0, expanded[2].Value, 12);
    }

    [Fact]
    public void Expand_OriginalQueryWeightOne_IsTheQueryAlone()
    {
        var expanded = Rm3.Expand([T("cat", 3), T("dog", 1)], [([T("fish", 3)], 1.0)], _ => true, new Rm3Options { OriginalQueryWeight = 1 });

        Assert.Equal(["cat", "dog"], expanded.Select(t => t.Key));
        Assert.Equal([0.75, 0.25], expanded.Select(t => t.Value));
    }

    [Theory]
    [InlineData("a", false)]
    [InlineData("ab", true)]
    [InlineData("abcdefghij0123456789", true)]
    [InlineData("abcdefghij0123456789x", false)]
    [InlineData("naïve", false)]
    [InlineData("e-mail", false)]
    public void HasFeedbackShape_TwoToTwentyLowerCaseLettersOrDigits(string term, bool expected) =>
        Assert.Equal(expected, Rm3.HasFeedbackShape(term));

    private static readonly CorpusDocument[] Kitchen =
    [
        new("d1", "", "yeast makes bread dough rise in the oven"),
        new("d2", "", "sourdough bread uses a starter culture instead of yeast"),
        new("d3", "", "a starter culture is kept alive by feeding it flour"),
        new("d4", "", "pasta is boiled in salted water"),
        new("d5", "", "rice is steamed until soft"),
        new("d6", "", "soup simmers for an hour"),
        new("d7", "", "salad needs fresh leaves"),
        new("d8", "", "cake batter is baked"),
        new("d9", "", "tea is brewed with hot water"),
        new("d10", "", "coffee beans are roasted"),
        new("d11", "", "butter is churned from cream"),
    ];

    [Fact]
    public void RankWithFeedback_FindsADocumentThroughAFeedbackTerm_AndEqualsBm25WithTheQueryAlone()
    {
        using var temp = new TempFolder("rm3");
        var index = temp.Combine("idx");
        IndexBuilder.Build(Kitchen, index, new IndexOptions());
        using var bm25 = Bm25Searcher.Open(index);

        var plain = bm25.Rank("bread yeast", 10);
        Assert.Equal(["d1", "d2"], plain.Select(r => r.DocId).Order());
        var d2 = plain.Single(r => r.DocId == "d2");

        // Feedback from d2 only. Its terms "starter" and "culture" are each in 2 of 11 documents, above the default limit of
        // 10%: only d2's own terms (sourdough, uses, instead) expand the query, and it ranks d2 above d1. With the limit at 20%
        // they count, and d3, which shares no query term, is found through them.
        var withDefaultLimit = bm25.RankWithFeedback("bread yeast", [d2], 10, new Rm3Options { FeedbackDocuments = 1 });
        Assert.Equal(["d2", "d1"], withDefaultLimit.Select(r => r.DocId));
        Assert.DoesNotContain("d3", withDefaultLimit.Select(r => r.DocId));
        var expanded = bm25.RankWithFeedback("bread yeast", [d2], 10, new Rm3Options { FeedbackDocuments = 1, MaxDocumentFrequency = 0.2 });
        Assert.Contains("d3", expanded.Select(r => r.DocId));

        // Original query weight 1: the query's terms weighted 1/2 each instead of 1, so BM25's order and half its scores.
        var alone = bm25.RankWithFeedback("bread yeast", plain, 10, new Rm3Options { OriginalQueryWeight = 1 });
        Assert.Equal(plain.Select(r => r.DocId), alone.Select(r => r.DocId));
        Assert.Equal(plain.Select(r => r.Score / 2), alone.Select(r => r.Score), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void RankWithFeedback_BadSettings_ClearMessage()
    {
        using var temp = new TempFolder("rm3-bad");
        var index = temp.Combine("idx");
        IndexBuilder.Build(Kitchen, index, new IndexOptions());
        using var bm25 = Bm25Searcher.Open(index);

        var e = Assert.Throws<InvalidInputException>(() => bm25.RankWithFeedback("bread", [], 10, new Rm3Options { OriginalQueryWeight = 1.5 }));
        Assert.Equal("RM3's original query weight must be between 0 and 1; got 1.5.", e.Message);
        Assert.Throws<InvalidInputException>(() => bm25.RankWithFeedback(" ", [], 10));
    }

    [Fact]
    public void Rocchio_HandComputed_UsesEachDocumentsPassageClosestToTheQuery()
    {
        using var temp = new TempFolder("rocchio");
        var index = temp.Combine("idx");
        float[] Axis(params (int Axis, float Value)[] parts) => DensePassageTests.Vector(fixture.Encoder.Dimension, parts);
        // A: passages e0 and e1; B: one passage e2; C: one passage e3.
        DensePassageTests.WritePassageIndex(fixture.Encoder, index, ["A", "B", "C"], [[.. Axis((0, 1)), .. Axis((1, 1))], Axis((2, 1)), Axis((3, 1))]);
        using var bm25 = Bm25Searcher.Open(index);
        var dense = new DenseSearcher(bm25, fixture.Encoder);

        // q = 0.8 e0 + 0.6 e1: A's closer passage is e0 (0.8 > 0.6). Feedback A and B, alpha 1, beta 1:
        // q + (e0 + e2) / 2 = 1.3 e0 + 0.6 e1 + 0.5 e2, norm sqrt(1.69 + 0.36 + 0.25) = sqrt(2.3).
        var q = Axis((0, 0.8f), (1, 0.6f));
        var moved = dense.Rocchio(q, [new(1, "A", 0.8f), new(2, "B", 0f), new(3, "C", 0f)], new RocchioOptions { FeedbackDocuments = 2 });
        var norm = Math.Sqrt(2.3);
        Assert.Equal(1.3 / norm, moved[0], 6);
        Assert.Equal(0.6 / norm, moved[1], 6);
        Assert.Equal(0.5 / norm, moved[2], 6);
        Assert.Equal(0, moved[3]);
        // Then B (0.5 / norm) ranks above C (0), which the query alone tied.
        Assert.Equal(["A", "B", "C"], dense.RankVector(moved, 3).Select(r => r.DocId));
        // Unknown ids are skipped; none left: the query unchanged.
        Assert.Equal(q, dense.Rocchio(q, [new(1, "gone", 1f)]));
        var e = Assert.Throws<InvalidInputException>(() => dense.Rocchio(q, [], new RocchioOptions { Alpha = 0, Beta = 0 }));
        Assert.Equal("Rocchio's weights must be finite, at least 0 and not both 0; got alpha 0, beta 0.", e.Message);
    }
}
