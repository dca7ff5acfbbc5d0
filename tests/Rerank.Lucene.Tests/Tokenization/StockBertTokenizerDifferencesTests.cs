using Microsoft.ML.Tokenizers;

namespace Rerank.Lucene.Tests.Tokenization;

/// <summary>
/// The differences from Hugging Face that docs ENVIRONMENT.md section 3 lists for
/// Microsoft.ML.Tokenizers' stock BertTokenizer, shown on the real vocabulary: the stock
/// tokenizer differs from the Rust reference on each text, the pair encoder matches it.
/// </summary>
public sealed class StockBertTokenizerDifferencesTests
{
    public static TheoryData<string> Names =>
    [
        "math-spaced",            // = + ± × ≥ ‹
        "accents",                // Café naïve ... (accents stripped)
        "whitespace-kinds",       // tabs, vertical tab, form feed, NEL, no-break and other spaces
        "invisible-format",       // zero-width and format characters
        "cjk",                    // CJK ideographs and Korean
        "emoji",
        "literal-special-tokens", // [SEP] special, [sep] plain text
    ];

    [Theory]
    [MemberData(nameof(Names))]
    public void Tokenize_TextWhereStockTokenizerDiffers_MatchesReference(string name)
    {
        var expected = ReferenceFixture.Instance.Root.GetProperty("texts").EnumerateArray()
            .Single(t => t.GetProperty("name").GetString() == name)
            .GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var text = ReferenceFixture.Instance.Text(name);

        var stock = BertTokenizer.Create(MiniLmVocabulary.FilePath, new BertOptions { LowerCaseBeforeTokenization = true });
        var stockIds = stock.EncodeToIds(text, addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);

        Assert.NotEqual(expected, stockIds.ToArray());
        Assert.Equal(expected, MiniLmVocabulary.Encoder.Tokenize(text));
    }
}
