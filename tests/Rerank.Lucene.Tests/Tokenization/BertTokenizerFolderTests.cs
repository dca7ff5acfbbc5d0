using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Tests.Tokenization;

/// <summary>
/// tokenizer_config.json as Hugging Face's BERT tokenizer reads it: settings honoured, settings that would change ids
/// in ways not implemented refused by file and key. Expected ids are worked out by hand from the vocabulary below.
/// </summary>
public sealed class BertTokenizerFolderTests : IDisposable
{
    // ids: 0 [PAD] 1 [UNK] 2 [CLS] 3 [SEP] 4 [MASK] 5 who 6 Who 7 cafe 8 café 9 ? 10 <sep>
    private static readonly string[] Vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "who", "Who", "cafe", "café", "?", "<sep>"];
    private readonly string _dir = TestPaths.NewTempDir("tokcfg");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private BertPairEncoder Read(string tokenizerConfig)
    {
        File.WriteAllLines(Path.Combine(_dir, "vocab.txt"), Vocabulary);
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), tokenizerConfig);
        return BertTokenizerFolder.Read(_dir, 512).Encoder;
    }

    [Fact]
    public void Absent_settings_take_Hugging_Face_defaults_uncased()
    {
        var encoder = Read("{}");
        Assert.Equal([2L, 5, 9, 3, 7, 3], encoder.Encode("Who?", "Café", 16).InputIds); // lower-cased, accent stripped
    }

    [Fact]
    public void Cased_keeps_capitals_and_accents()
    {
        var encoder = Read("""{"do_lower_case": false}""");
        Assert.Equal([2L, 6, 9, 3, 8, 3], encoder.Encode("Who?", "café", 16).InputIds);
    }

    [Fact]
    public void Strip_accents_false_keeps_accents_while_lower_casing()
    {
        var encoder = Read("""{"do_lower_case": true, "strip_accents": false}""");
        Assert.Equal([2L, 5, 3, 8, 3], encoder.Encode("WHO", "CAFÉ", 16).InputIds);
    }

    [Fact]
    public void Special_tokens_come_from_the_config_and_are_matched_in_text()
    {
        var encoder = Read("""{"sep_token": {"content": "<sep>", "special": true}}""");
        Assert.Equal([2L, 5, 10, 7, 10, 5, 10], encoder.Encode("who", "cafe<sep>who", 16).InputIds);
    }

    [Theory]
    [InlineData("""{"do_basic_tokenize": false}""", "\"do_basic_tokenize\" is false")]
    [InlineData("""{"never_split": ["cafe"]}""", "\"never_split\" lists words")]
    [InlineData("""{"truncation_side": "left"}""", "\"truncation_side\" is \"left\"; only \"right\" is implemented")]
    [InlineData("""{"model_input_names": ["input_ids", "attention_mask"]}""", "\"model_input_names\" is [\"input_ids\",\"attention_mask\"]")]
    [InlineData("""{"wordpieces_prefix": "@@"}""", "\"wordpieces_prefix\" is a tokenizer setting this library does not implement")]
    [InlineData("""{"do_lower_case": "yes"}""", "\"do_lower_case\" must be true or false; got \"yes\"")]
    public void Settings_not_implemented_are_refused_naming_file_and_key(string config, string expected)
    {
        var e = Assert.Throws<InvalidInputException>(() => Read(config));
        Assert.StartsWith($"'{Path.Combine(_dir, "tokenizer_config.json")}': ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(null, null, 48, 512, 48)] // model_max_length, as CrossEncoder truncates
    [InlineData(null, null, null, 512, 512)] // none: the positions
    [InlineData(null, null, 4096, 512, 512)] // beyond the positions: capped
    [InlineData(null, 128, 48, 512, 128)] // searchrerank.json's training length first
    [InlineData(200, 128, 48, 512, 200)] // an explicit length first of all
    public void Scoring_length_follows_explicit_then_settings_then_model_max_length(int? explicitLength, int? settings, int? modelMaxLength, int positions, int expected) =>
        Assert.Equal(expected, CrossEncoder.ScoringLength("m", explicitLength, settings, modelMaxLength, positions));

    [Fact]
    public void Model_max_length_of_1e30_means_no_limit()
    {
        Read("""{"model_max_length": 1000000000000000019884624838656}""");
        Assert.Null(BertTokenizerFolder.Read(_dir, 512).ModelMaxLength);
    }
}
