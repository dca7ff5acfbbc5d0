using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Reranking;

public sealed class PassageSplitTests
{
    [Fact]
    public void Split_SevenWordsWindowFourStrideTwo_ThreeTitledWindowsCoveringEveryWord()
    {
        var passages = new PassageOptions(PassageMode.Max, Words: 4, Stride: 2).Split("T", "a b c d e f g");

        // Windows start at 0, 2, 4; the one starting at 4 reaches the end (7 words), so it is the last.
        Assert.Equal(["T a b c d", "T c d e f", "T e f g"], passages);
    }

    [Fact]
    public void Split_WindowsEndExactlyAtTheLastWord_NoEmptyOrRepeatedTail()
    {
        // 6 words, window 4, stride 2: [0,4) then [2,6) reaches the end; 1 + ceil((6 - 4) / 2) = 2 passages.
        var passages = new PassageOptions(PassageMode.Max, 4, 2).Split(null, "a b c d e f");

        Assert.Equal(["a b c d", "c d e f"], passages);
    }

    [Fact]
    public void Split_BodyNoLongerThanTheWindow_OnePassageWithWhitespaceCollapsed()
    {
        var options = new PassageOptions(PassageMode.Sum, 4, 4);

        Assert.Equal(["Title one\ttwo"], new PassageOptions().Split("Title", "one\ttwo"));
        Assert.Equal(["Title one two three four"], options.Split("Title", " one  two\nthree four "));
        Assert.Equal(["Title"], options.Split("Title", ""));
        Assert.Equal(["a b c d", "e"], options.Split("", "a b c d e"));
    }

    [Fact]
    public void Split_AndPairs_StrideZero_RefusedInsteadOfLoopingForever()
    {
        var zero = new PassageOptions(PassageMode.Max, 4, 0);

        Assert.Throws<InvalidInputException>(() => zero.Split("T", "a b c d e f"));
        var e = Assert.Throws<InvalidInputException>(() => PassageScorer.Pairs("q", [("T", "a b c d e f")], zero));
        Assert.StartsWith("passages: passage stride must be between 1 and the passage words (4); got 0.", e.Message);
        Assert.Throws<InvalidInputException>(() => PassageScorer.Pairs("q", [("T", "a b c d e f")], new PassageOptions(PassageMode.Max, 4, 2, Select: 0)));
    }

    [Fact]
    public void Split_First_WholeDocumentAsTrainingSeesIt()
    {
        var body = string.Join(' ', Enumerable.Range(0, 500).Select(i => $"w{i}"));

        Assert.Equal([DocumentText.Join("T", body)], PassageOptions.WholeDocument.Split("T", body));
    }

    [Fact]
    public void Aggregate_FirstMaxSum_AsDaiAndCallanDefineThem()
    {
        float[] scores = [0.25f, 0.75f, 0.5f];

        Assert.Equal(0.25, PassageOptions.WholeDocument.Aggregate(scores));
        Assert.Equal(0.75, new PassageOptions(PassageMode.Max).Aggregate(scores));
        Assert.Equal(1.5, new PassageOptions(PassageMode.Sum).Aggregate(scores));
    }

    [Theory]
    [InlineData(0, 1, "passage words must be at least 1")]
    [InlineData(4, 5, "passage stride must be between 1 and the passage words (4)")]
    [InlineData(4, 0, "passage stride must be between 1 and the passage words (4)")]
    public void Validated_BadWindowOrStride_NamesTheSourceAndTheLimit(int words, int stride, string expected)
    {
        var e = Assert.Throws<InvalidInputException>(() => new PassageOptions(PassageMode.Max, words, stride).Validated("--passage-words"));

        Assert.StartsWith("--passage-words: ", e.Message);
        Assert.Contains(expected, e.Message);
    }
}

[Collection(TorchCollection.Name)]
public sealed class PassageRerankingTests
{
    private static readonly string DefaultModel = Path.Combine(TestPaths.RepoRoot, "models", "default-reranker");

    [Fact]
    public void Settings_PassagesStoredWithTheModel_ReadAndUsedUnlessTheCallerSetsThem()
    {
        var folder = TinyCrossEncoder.Create();
        File.WriteAllText(Path.Combine(folder, RerankerSettings.FileName), "{\"passages\": {\"mode\": \"max\", \"words\": 80, \"stride\": 40}}");
        using var encoder = CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu" });
        var first = new SearchHit(1, "d1", 1, "T", "x");

        Assert.Equal(new PassageOptions(PassageMode.Max, 80, 40), RerankerSettings.Read(folder).Passages);
        Assert.Equal(new PassageOptions(PassageMode.Max, 80, 40), new RerankingSearcher(new FixedCandidates([first]), encoder).Passages);
        Assert.Equal(PassageOptions.WholeDocument,
            new RerankingSearcher(new FixedCandidates([first]), encoder, new RerankOptions { Passages = PassageOptions.WholeDocument }).Passages);
    }

    [Theory]
    [InlineData("{\"passages\": {\"mode\": \"mean\"}}", "passages.mode must be \"first\", \"max\" or \"sum\", found the string \"mean\". Fix or delete the file.")]
    [InlineData("{\"passages\": {\"mode\": \"max\", \"words\": 10, \"stride\": 20}}", "passage stride must be between 1 and the passage words (10)")]
    [InlineData("{\"passages\": {\"mode\": \"first\", \"select\": 2}}", "passages.select applies to mode max or sum, and the mode is first")]
    [InlineData("{\"passages\": {\"select\": 1}}", "passages.select applies to mode max or sum, and the mode is first")]
    [InlineData("{\"passages\": {\"words\": 64, \"stride\": 32}}", "passages.words, passages.stride apply to mode max or sum, and the mode is first")]
    [InlineData("{\"passages\": {\"mode\": \"max\", \"selct\": 1}}", "unknown setting \"passages.selct\" (known: mode, words, stride, select)")]
    [InlineData("{\"pasages\": {\"mode\": \"max\"}}", "unknown setting \"pasages\"")]
    public void Settings_BadPassages_RefusedNamingTheFile(string json, string expected)
    {
        var folder = TinyCrossEncoder.Create();
        File.WriteAllText(Path.Combine(folder, RerankerSettings.FileName), json);

        var e = Assert.Throws<InvalidInputException>(() => RerankerSettings.Read(folder));

        Assert.Contains(Path.Combine(folder, RerankerSettings.FileName), e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MaxP_RelevantParagraphBeyondTheModelsWindow_ScoredByTheWindowThatHoldsIt()
    {
        // 150 words of unrelated text, then the answer: the default reranker reads 128 tokens, so as a whole
        // document (FirstP) it never sees the answer; with 64-word windows one passage holds all of it.
        var (query, body, candidates) = TidesNote();
        using var encoder = CrossEncoder.Load(DefaultModel, new CrossEncoderOptions { Device = "cpu" });
        var maxP = new PassageOptions(PassageMode.Max, 64, 32);

        var reranked = new RerankingSearcher(new FixedCandidates(candidates), encoder, new RerankOptions { ScoreMode = ScoreMode.Replace, Passages = maxP })
            .Rerank(query, candidates);
        // The default reranker stores one selected window (searchrerank.json): the whole document is asked for here.
        var firstP = new RerankingSearcher(new FixedCandidates(candidates), encoder, new RerankOptions { ScoreMode = ScoreMode.Replace, Passages = PassageOptions.WholeDocument })
            .Rerank(query, candidates);

        // Independent expectation: each passage built by hand and scored alone; the document gets the best.
        var words = body.Split(' ');
        var expectedPassages = new List<string>();
        for (var start = 0; ; start += 32)
        {
            var end = Math.Min(words.Length, start + 64);
            expectedPassages.Add("Notes " + string.Join(' ', words[start..end]));
            if (end == words.Length) break;
        }
        var byHand = encoder.Predict(query, expectedPassages).Max();
        var longHit = reranked.Single(h => h.DocId == "long");
        Assert.Equal(byHand, longHit.CrossEncoderScore, 1e-5f);
        Assert.Equal(encoder.Predict(query, [DocumentText.Join("Notes", body)])[0], firstP.Single(h => h.DocId == "long").CrossEncoderScore, 1e-5f);
        Assert.True(longHit.CrossEncoderScore > firstP.Single(h => h.DocId == "long").CrossEncoderScore + 0.3f,
            $"MaxP {longHit.CrossEncoderScore} vs FirstP {firstP.Single(h => h.DocId == "long").CrossEncoderScore}");
        Assert.Equal("long", reranked[0].DocId);
    }

    [Fact]
    public void Select_OnePassage_TheCrossEncoderReadsTheWindowHoldingTheAnswer_AtTheCostOfFirstP()
    {
        // The same note as above: 168 words, windows at 0, 32, 64, 96 and 128. With one selected window per document the
        // cross-encoder reads the last (words 128-167): it holds the whole answer, and by BM25 it beats the window at 96, which
        // holds the answer's first ten words with the same query terms ("what" aside) but is longer. The document then scores
        // what that window scores alone, at one pair per document.
        var (query, body, candidates) = TidesNote();
        using var encoder = CrossEncoder.Load(DefaultModel, new CrossEncoderOptions { Device = "cpu" });
        var selected = new PassageOptions(PassageMode.Max, 64, 32, Select: 1);

        var pairs = PassageScorer.Pairs(query, candidates.Select(c => ((string?)c.Title, (string?)c.Text)).ToList(), selected);
        var reranked = new RerankingSearcher(new FixedCandidates(candidates), encoder, new RerankOptions { ScoreMode = ScoreMode.Replace, Passages = selected })
            .Rerank(query, candidates);

        var words = body.Split(' ');
        Assert.Equal(168, words.Length);
        var last = "Notes " + string.Join(' ', words[128..]);
        Assert.Equal(2, pairs.Items.Count);
        Assert.Equal(last, pairs.Items[0].Passage);
        Assert.Equal(encoder.Predict(query, [last])[0], reranked.Single(h => h.DocId == "long").CrossEncoderScore, 1e-5f);
        Assert.Equal("long", reranked[0].DocId);
    }

    [Fact]
    public void Selection_IdfDecides_TiesGoToTheEarlierPassage_KeptInDocumentOrder()
    {
        // Query "common rare". Passages (no title): doc 0 "common" | "rare"; doc 1 "common" | "common"; doc 2 "x" | "y" | "common rare".
        // N = 7, df(common) = 4, df(rare) = 2: idf(common) = ln(1 + 3.5/4.5) = 0.575, idf(rare) = ln(1 + 5.5/2.5) = 1.163, so doc 0
        // keeps "rare" (a count of query words would tie and keep "common"); doc 1 ties and keeps its first; with n = 2 doc 2
        // keeps "common rare" and, of the tied "x" and "y" (no query word), "x", in document order.
        IReadOnlyList<IReadOnlyList<string>> passages = [["common", "rare"], ["common", "common"], ["x", "y", "common rare"]];

        Assert.Equal([["rare"], ["common"], ["common rare"]], PassageSelection.Choose("common rare", passages, 1));
        Assert.Equal([["common", "rare"], ["common", "common"], ["x", "common rare"]], PassageSelection.Choose("common rare", passages, 2));
        Assert.Equal([["common"], ["common"], ["x"]], PassageSelection.Choose("unrelated words", passages, 1));
    }

    [Fact]
    public void Validated_SelectionWithModeFirst_Refused()
    {
        var e = Assert.Throws<InvalidInputException>(() => new PassageOptions(PassageMode.First, Select: 2).Validated("x"));
        Assert.StartsWith("x: selecting passages applies to mode max or sum", e.Message);
    }

    [Fact]
    public void Select_StoredWithTheModel_ReadBackAndDescribed()
    {
        var folder = TinyCrossEncoder.Create();
        File.WriteAllText(Path.Combine(folder, RerankerSettings.FileName), "{\"passages\": {\"mode\": \"max\", \"words\": 64, \"stride\": 32, \"select\": 1}}");

        var passages = RerankerSettings.Read(folder).Passages!;

        Assert.Equal(new PassageOptions(PassageMode.Max, 64, 32, 1), passages);
        Assert.Equal("max over the 1 64-word passage (stride 32) per document that best matches the query by BM25", passages.ToString());
        var e = Assert.Throws<InvalidInputException>(() => (passages with { Select = 0 }).Validated("--passage-select"));
        Assert.StartsWith("--passage-select: the passages selected per document must be at least 1; got 0.", e.Message);
    }

    /// <summary>
    /// A note of 150 words of unrelated text followed by the answer (168 words), and a note of the unrelated text alone: the
    /// default reranker reads 128 tokens, so reading the first one's start it never sees the answer.
    /// </summary>
    private static (string Query, string Body, SearchHit[] Candidates) TidesNote()
    {
        const string answer = "Ocean tides are caused by the gravitational pull of the moon and the sun on the rotating earth.";
        var filler = string.Join(' ', Enumerable.Repeat("The committee reviewed the annual budget report and approved the new parking rules for staff.", 10));
        var body = filler + " " + answer;
        return ("what causes ocean tides?", body, [new SearchHit(1, "long", 2f, "Notes", body), new SearchHit(2, "short", 1f, "Budget", filler)]);
    }

    /// <summary>A first stage that returns given hits: reranking is tested without an index.</summary>
    private sealed class FixedCandidates(IReadOnlyList<SearchHit> hits) : ICandidateRetriever
    {
        public string Name => "bm25";

        public IReadOnlyList<SearchHit> Search(string query, int k) => hits.Take(k).ToList();

        public IReadOnlyList<RankedDocument> Rank(string query, int k) => throw new NotSupportedException("not used by these tests");
    }
}
