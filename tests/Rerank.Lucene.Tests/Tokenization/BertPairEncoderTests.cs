using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Tests.Tokenization;

/// <summary>The encoder's rules on a 16-token inline vocabulary (ids are line numbers).</summary>
public sealed class BertPairEncoderTests
{
    private static readonly string[] Vocab =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", // 0-4
        "un", "##aff", "##able", "cafe", "p", "=", "##±", "±", "[", "sep", "]", // 5-15
    ];

    private static readonly BertPairEncoder Encoder = BertPairEncoder.FromTokens(Vocab);

    private static int[] Ids(string text) => Encoder.Tokenize(text);

    [Fact]
    public void Tokenize_WordInPieces_UsesLongestMatchFirst() => Assert.Equal([5, 6, 7], Ids("unaffable"));

    [Fact]
    public void Tokenize_UncoverableWord_IsOneUnknown() => Assert.Equal([5, 6, 7, 1], Ids("unaffable unx"));

    [Fact]
    public void Tokenize_AccentsAndCase_AreStripped() => Assert.Equal([8], Ids("CAFÉ"));

    [Fact]
    public void Tokenize_AsciiSymbol_IsSplitOffButPlusMinusIsNot() => Assert.Equal([9, 10, 9, 11], Ids("p=p±"));

    [Fact]
    public void Tokenize_StandalonePlusMinus_IsAWord() => Assert.Equal([12], Ids(" ± "));

    [Fact]
    public void Tokenize_ControlAndFormatCharacters_AreDropped() => Assert.Equal([8], Ids("ca\u200bf\u0000e\u0007"));

    [Fact]
    public void Tokenize_LiteralUpperCaseSep_IsSpecialButLowerCaseIsText() =>
        Assert.Equal([3, 13, 14, 15], Ids("[SEP][sep]"));

    [Fact]
    public void Tokenize_WordOver100CodePoints_IsOneUnknown()
    {
        Assert.Equal([1], Ids(new string('p', 101)));
        Assert.Equal([9], Ids("p"));
    }

    [Fact]
    public void Encode_Pair_AddsSpecialTokensAndSegments()
    {
        var e = Encoder.Encode("unaffable", "cafe", 16);
        Assert.Equal([2L, 5, 6, 7, 3, 8, 3], e.InputIds);
        Assert.Equal([0L, 0, 0, 0, 0, 1, 1], e.TokenTypeIds);
        Assert.Equal([1L, 1, 1, 1, 1, 1, 1], e.AttentionMask);
    }

    [Fact]
    public void Encode_TieOverOddBudget_KeepsOneMoreDocumentToken()
    {
        // 3 + 3 content tokens, max 8: budget 5, Rust keeps (2, 3).
        var e = Encoder.Encode("unaffable", "p p p", 8);
        Assert.Equal([2L, 5, 6, 3, 9, 9, 9, 3], e.InputIds);
    }

    [Fact]
    public void EncodeText_Long_IsCutBeforeSep()
    {
        Assert.Equal([2L, 5, 6, 3], Encoder.EncodeText("unaffable", 4).InputIds);
        Assert.Equal([0L, 0, 0, 0], Encoder.EncodeText("unaffable", 4).TokenTypeIds);
    }

    [Fact]
    public void EncodeBatch_DifferentLengths_PadsToLongestWithZeroMask()
    {
        var batch = Encoder.EncodeBatch([("p", "cafe"), ("unaffable", "cafe p")], 32);
        Assert.Equal(2, batch.BatchSize);
        Assert.Equal(8, batch.SequenceLength);
        Assert.Equal([2L, 9, 3, 8, 3, 0, 0, 0, 2, 5, 6, 7, 3, 8, 9, 3], batch.InputIds);
        Assert.Equal([0L, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1], batch.TokenTypeIds);
        Assert.Equal([1L, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], batch.AttentionMask);
    }

    [Fact]
    public void EncodeBatch_Empty_HasNoRows()
    {
        var batch = Encoder.EncodeBatch([], 32);
        Assert.Equal(0, batch.BatchSize);
        Assert.Equal(0, batch.SequenceLength);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(513)]
    public void Encode_MaxLengthOutOfRange_ThrowsWithRange(int maxLength)
    {
        var e = Assert.Throws<InvalidInputException>(() => Encoder.Encode("p", "p", maxLength));
        Assert.Equal(
            $"maxLength must be between 4 and 512 (a pair needs [CLS], [SEP], [SEP] and room for one token; 512 is the model's " +
            $"max_position_embeddings), got {maxLength}. Choose a max length in that range.",
            e.Message);
    }

    [Fact]
    public void FromTokens_VocabularyWithoutSep_ThrowsNamingTheToken()
    {
        var e = Assert.Throws<InvalidInputException>(() => BertPairEncoder.FromTokens(["[PAD]", "[UNK]", "[CLS]", "a"]));
        Assert.Equal(
            "Vocabulary '(in-memory vocabulary)' has no '[SEP]' entry (sep_token); the tokenizer's special tokens must be in its vocabulary. " +
            "Use the vocabulary that came with the model, or fix the special tokens in tokenizer_config.json.",
            e.Message);
    }

    [Fact]
    public void Constructor_MissingFile_ThrowsWithPath()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "vocab.txt");
        var e = Assert.Throws<InvalidInputException>(() => new BertPairEncoder(path));
        Assert.Equal(path, e.Path);
    }

    [Fact]
    public void Encode_SameQueryManyDocuments_GivesSameIdsAsFreshEncoder()
    {
        var fresh = BertPairEncoder.FromTokens(Vocab);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(fresh.Encode("unaffable", "cafe", 16).InputIds, Encoder.Encode("unaffable", "cafe", 16).InputIds);
            Assert.Equal(fresh.Encode("p", "cafe", 16).InputIds, Encoder.Encode("p", "cafe", 16).InputIds);
        }
    }
}
