using System.Buffers.Binary;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Retrieval;

/// <summary>
/// Passages fitted to the bi-encoder's max length (index --embed-passages max): every part of a document's title and text lands,
/// uncut, in some embedded passage, whatever its tokens per word, spacing, title length or window.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class PassageFitTests(DenseIndexFixture fixture) : IClassFixture<DenseIndexFixture>
{
    private const string Bread = "Yeast ferments sugar and the carbon dioxide makes bread dough rise.";

    private static readonly string English = string.Join(' ', Enumerable.Repeat(
        "Granite forms when magma cools slowly deep under the crust. Glaciers carved the valleys of the Alps over many millennia.", 18)); // 360 words

    // One token per character, spaces aside, plus [CLS] and [SEP]: passages can be written out by hand.
    private static int CharTokens(string text) => 2 + text.Count(c => c != ' ');

    [Fact]
    public void Split_HandTokenizer_OverlongWindowsAsLongestFittingRuns_WordsSplitByCharacter_TitleCapped()
    {
        var w4s2 = new PassageOptions(PassageMode.Max, 4, 2);
        // Windows "ab cd ef gh" (11 tokens with the title) and "ef gh ij" (9) are too long: the longest runs of words that fit
        // (two words, 7 tokens), each starting half-way through the one before (one word on).
        Assert.Equal(["T ab cd", "T cd ef", "T ef gh", "T ef gh", "T gh ij"], PassageFit.Split(w4s2, "T", "ab cd ef gh ij", CharTokens, 8, out var cut));
        Assert.Equal(0, cut);
        // One 14-character "word" (16 tokens): consecutive pieces of the most characters that fit (6).
        Assert.Equal(["abcdef", "ghijkl", "mn"], PassageFit.Split(w4s2, "", "abcdefghijklmn", CharTokens, 8, out cut));
        // A title of 10 characters is more than half of the 8 tokens: "aa bb" (4) is prefixed, and the whole title is embedded
        // as the start of the body, so "cc dd ee" are in passages too. Windows of 4 words, stride 4; one word fits beside the prefix.
        Assert.Equal(["aa bb aa", "aa bb bb", "aa bb cc", "aa bb dd", "aa bb ee", "aa bb x"],
            PassageFit.Split(new PassageOptions(PassageMode.Max, 4, 4), "aa bb cc dd ee", "x", CharTokens, 8, out cut));
        // Windows that fit are exactly the word splitter's.
        Assert.Equal(w4s2.Split("T", "a b c d e f g"), PassageFit.Split(w4s2, "T", "a b c d e f g", CharTokens, 8, out _));
        // First: one text, cut by the encoder.
        Assert.Equal(["T abcdefghijklmn"], PassageFit.Split(PassageOptions.WholeDocument, "T", "abcdefghijklmn", CharTokens, 8, out _));
    }

    [Fact]
    public void Tokenize_FullLength_CountsTokensBeforeTheCut()
    {
        // "a" is one token of the uncased vocabulary: 300 of them are 302 tokens with [CLS] and [SEP].
        var encoding = fixture.Encoder.Tokenize(string.Join(' ', Enumerable.Repeat("a", 300)));
        Assert.Equal((256, 302), (encoding.Length, encoding.FullLength));
        Assert.Equal(12, fixture.Encoder.Tokenize(string.Join(' ', Enumerable.Repeat("a", 10))).FullLength);
    }

    public static TheoryData<string, string, string, int> HardDocuments => new()
    {
        // 17-digit numbers: several tokens per word, 128 words far past 256 tokens.
        { "digits", "Measurements", string.Join(' ', Enumerable.Range(0, 300).Select(i => (12345678901234567L + i * 7919L).ToString())) + " " + Bread, 128 },
        // Greek: several word pieces per word.
        { "greek", "Γεωλογία", string.Join(' ', Enumerable.Repeat("Ο γρανίτης σχηματίζεται όταν το μάγμα ψύχεται αργά βαθιά κάτω από τον φλοιό.", 40)) + " " + Bread, 128 },
        // Japanese: no spaces, so the whole text is one "word".
        { "japanese", "", string.Concat(Enumerable.Repeat("花崗岩はマグマが地下深くでゆっくり冷えて固まった岩石です。", 40)) + " " + Bread, 128 },
        // A title longer than the max length, prefixed to every passage.
        { "title", English, Bread, 128 },
        // A window of 1,000 words.
        { "window", "Rocks", English + " " + Bread, 1000 },
    };

    [Theory]
    [MemberData(nameof(HardDocuments))]
    public void Split_BundledTokenizer_EveryPassageFits_EveryWordAndTheLastSentenceEmbedded(string name, string title, string text, int words)
    {
        var passages = PassageFit.Split(new PassageOptions(PassageMode.Max, words, words / 2), title, text, fixture.Encoder, out var cut);

        Assert.Equal(0, cut);
        var max = fixture.Encoder.MaxLength;
        foreach (var p in passages) Assert.True(fixture.Encoder.Tokenize(p).FullLength <= max, $"{name}: a passage of {fixture.Encoder.Tokenize(p).FullLength} tokens");
        Assert.Contains(passages, p => p.Contains(Bread, StringComparison.Ordinal));
        // The last sentence's tokens are all read by the encoder in some passage (nothing of it cut off at the max length).
        var breadIds = fixture.Encoder.Tokenize(Bread).InputIds[1..^1];
        Assert.Contains(passages, p => ContainsRun(fixture.Encoder.Tokenize(p).InputIds, breadIds));
        var embedded = passages.SelectMany(p => p.Split(' ')).ToHashSet();
        foreach (var word in (title + " " + text).Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Any(c => c < 0x3000)))
            Assert.Contains(word, embedded);
        if (name == "japanese")
        {
            // Its pieces, in order, give back the whole run of text without spaces.
            var run = text[..text.IndexOf(' ')];
            Assert.Equal(run, string.Concat(passages.Where(p => !p.Contains(' '))));
        }
    }

    private static bool ContainsRun(long[] ids, long[] run) =>
        Enumerable.Range(0, Math.Max(0, ids.Length - run.Length + 1)).Any(i => ids.AsSpan(i, run.Length).SequenceEqual(run));

    private static int[] ReadCounts(string index)
    {
        var bytes = File.ReadAllBytes(Path.Combine(index, PassageEmbedding.CountsFile));
        return Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * 4))).ToArray();
    }

    [Fact]
    public void BuildAndUpdate_LongTitleAndTextWithoutSpaces_EmbedFittedPassages_LastSentenceFound()
    {
        using var temp = new TempFolder("dense-fit");
        var index = temp.Combine("idx");
        var japanese = string.Concat(Enumerable.Repeat("花崗岩はマグマが地下深くでゆっくり冷えて固まった岩石です。", 40));
        IndexBuilder.Build([new("ja", "", japanese), new("short", "Bread", Bread)], index, new IndexOptions(Embedder: fixture.Encoder));
        // The text without spaces is one 128-word window of far more than 256 tokens: split until each piece fits.
        Assert.Equal(japanese, string.Concat(PassageFit.Split(PassageEmbedding.Default, "", japanese, fixture.Encoder, out _)));
        var jaCount = PassageFit.Split(PassageEmbedding.Default, "", japanese, fixture.Encoder, out _).Count;
        Assert.True(jaCount > 1);
        Assert.Equal([jaCount, 1], ReadCounts(index));

        // An update splits an added document the same way: a title of 360 words, then the sentence that answers the query.
        var result = IndexUpdater.AddOrReplace(index, [new("long", English, Bread)], new IndexUpdateOptions(Embedder: fixture.Encoder));
        var fitted = PassageFit.Split(PassageEmbedding.Default, English, Bread, fixture.Encoder, out _);
        Assert.True(fitted.Count > 1);
        using var bm25 = Bm25Searcher.Open(index);
        var order = bm25.DocumentIdsInOrder();
        Assert.Equal(order.Select(id => id switch { "ja" => jaCount, "long" => fitted.Count, _ => 1 }), ReadCounts(index));
        // Its best passage for the query is one that holds the sentence; the whole document cut at 256 tokens never reaches it.
        var q = fixture.Encoder.Embed("why does bread dough rise?");
        var vectors = DocumentVectors.Open(index, result.Manifest);
        var rows = vectors.Rows(Array.IndexOf(order, "long")).ToArray();
        var scores = Enumerable.Range(0, rows.Length / q.Length).Select(i => Dot(q, rows.AsSpan(i * q.Length, q.Length))).ToArray();
        var cutWhole = Dot(q, fixture.Encoder.Embed(DocumentText.Join(English, Bread)));
        Assert.Contains(Bread, fitted[Array.IndexOf(scores, scores.Max())]);
        Assert.True(scores.Max() > cutWhole + 0.1, $"best passage {scores.Max():F3}, whole document cut {cutWhole:F3}");
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return (float)sum;
    }
}
