using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Rerank.Lucene.Tests.Tokenization;

/// <summary>
/// The encoder over the real uncased BERT vocabulary against Hugging Face's Rust tokenizers
/// (tests/fixtures/tokenizer/expected.json): exact ids, token types and masks for every case.
/// Cases whose texts come from SciFact run only where the shared dataset is present.
/// </summary>
public sealed class BertPairEncoderReferenceTests
{
    private static ReferenceFixture Fixture => ReferenceFixture.Instance;

    [Fact]
    public void Vocabulary_MiniLmResource_IsTheOneTheReferenceUsed()
    {
        var vocab = Fixture.Root.GetProperty("vocab");
        Assert.Equal(vocab.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(MiniLmVocabulary.Text))));
        Assert.Equal(vocab.GetProperty("entries").GetInt32(), MiniLmVocabulary.Encoder.VocabularySize);
        var special = Fixture.Root.GetProperty("special");
        Assert.Equal(special.GetProperty("[PAD]").GetInt32(), MiniLmVocabulary.Encoder.PadId);
    }

    [Fact]
    public void Tokenize_HandWrittenTexts_MatchesReference() => AssertTexts(sciFact: false);

    [DatasetFact("scifact")]
    public void Tokenize_SciFactTexts_MatchesReference() => AssertTexts(sciFact: true);

    [Fact]
    public void EncodeText_HandWrittenCases_MatchesReference() => AssertSingles(sciFact: false);

    [DatasetFact("scifact")]
    public void EncodeText_SciFactCases_MatchesReference() => AssertSingles(sciFact: true);

    [Fact]
    public void Encode_HandWrittenPairsAtSeveralMaxLengths_MatchesReference() => AssertPairs(sciFact: false);

    [DatasetFact("scifact")]
    public void Encode_SciFactPairsAtSeveralMaxLengths_MatchesReference() => AssertPairs(sciFact: true);

    [DatasetFact("scifact")]
    public void EncodeBatch_MixedPairs_MatchesReferencePadding()
    {
        var failures = new List<string>();
        foreach (var c in Fixture.Root.GetProperty("batches").EnumerateArray())
        {
            var pairs = c.GetProperty("pairs").EnumerateArray()
                .Select(p => (Fixture.Text(p[0].GetString()!), Fixture.Text(p[1].GetString()!))).ToList();
            var maxLength = c.GetProperty("maxLength").GetInt32();
            var batch = MiniLmVocabulary.Encoder.EncodeBatch(pairs, maxLength);
            var expectedIds = c.GetProperty("inputIds").EnumerateArray().ToArray();
            Assert.Equal(expectedIds.Length, batch.BatchSize);
            Assert.Equal(expectedIds[0].GetArrayLength(), batch.SequenceLength);
            Compare($"batch max {maxLength}: input ids", Flatten(c.GetProperty("inputIds")), batch.InputIds, failures);
            Compare($"batch max {maxLength}: token types", Flatten(c.GetProperty("tokenTypeIds")), batch.TokenTypeIds, failures);
            Compare($"batch max {maxLength}: attention mask", Flatten(c.GetProperty("attentionMask")), batch.AttentionMask, failures);
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private static void AssertTexts(bool sciFact)
    {
        var failures = new List<string>();
        var count = 0;
        foreach (var c in Fixture.Root.GetProperty("texts").EnumerateArray())
        {
            var name = c.GetProperty("name").GetString()!;
            if (Fixture.NeedsSciFact(name) != sciFact) continue;
            count++;
            var expected = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var actual = MiniLmVocabulary.Encoder.Tokenize(Fixture.Text(name)).Select(i => (long)i).ToArray();
            Compare(name, expected, actual, failures);
        }
        Assert.True(count > 0);
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} texts differ from the reference:\n\n{string.Join("\n\n", failures)}");
    }

    private static void AssertSingles(bool sciFact)
    {
        var failures = new List<string>();
        foreach (var c in Fixture.Root.GetProperty("singles").EnumerateArray())
        {
            var name = c.GetProperty("text").GetString()!;
            if (Fixture.NeedsSciFact(name) != sciFact) continue;
            var maxLength = c.GetProperty("maxLength").GetInt32();
            var encoding = MiniLmVocabulary.Encoder.EncodeText(Fixture.Text(name), maxLength);
            CompareEncoding($"{name} (max {maxLength})", c, encoding.InputIds, encoding.TokenTypeIds, encoding.AttentionMask, failures);
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private static void AssertPairs(bool sciFact)
    {
        var failures = new List<string>();
        var count = 0;
        foreach (var c in Fixture.Root.GetProperty("pairs").EnumerateArray())
        {
            var query = c.GetProperty("query").GetString()!;
            var document = c.GetProperty("document").GetString()!;
            if (Fixture.NeedsSciFact(query, document) != sciFact) continue;
            count++;
            var maxLength = c.GetProperty("maxLength").GetInt32();
            var encoding = MiniLmVocabulary.Encoder.Encode(Fixture.Text(query), Fixture.Text(document), maxLength);
            CompareEncoding($"({query}, {document}) max {maxLength}", c, encoding.InputIds, encoding.TokenTypeIds, encoding.AttentionMask, failures);
        }
        Assert.True(count > 0);
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} pairs differ from the reference:\n\n{string.Join("\n\n", failures)}");
    }

    private static void CompareEncoding(string name, JsonElement expected, long[] ids, long[] types, long[] mask, List<string> failures)
    {
        Compare(name + ": input ids", Flatten(expected.GetProperty("inputIds")), ids, failures);
        Compare(name + ": token types", Flatten(expected.GetProperty("tokenTypeIds")), types, failures);
        Compare(name + ": attention mask", Flatten(expected.GetProperty("attentionMask")), mask, failures);
    }

    private static long[] Flatten(JsonElement array) =>
        array.EnumerateArray().SelectMany(e => e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().ToArray() : [e]).Select(e => e.GetInt64()).ToArray();

    private static void Compare(string name, long[] expected, long[] actual, List<string> failures)
    {
        if (expected.AsSpan().SequenceEqual(actual)) return;
        var first = 0;
        while (first < Math.Min(expected.Length, actual.Length) && expected[first] == actual[first]) first++;
        var showTokens = !name.Contains(": token types", StringComparison.Ordinal) && !name.Contains(": attention mask", StringComparison.Ordinal);
        string Show(long[] ids) => string.Join(" ", ids.Skip(Math.Max(0, first - 3)).Take(12)
            .Select(id => showTokens && id >= 0 && id < MiniLmVocabulary.Tokens.Count ? $"{MiniLmVocabulary.Tokens[(int)id]}({id})" : id.ToString()));
        failures.Add($"{name}: first difference at {first} (lengths {expected.Length} vs {actual.Length})\n  expected: {Show(expected)}\n  actual:   {Show(actual)}");
    }
}
