using System.Text;
using System.Text.Json;
using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Tests.Tokenization;

/// <summary>
/// Every Unicode scalar value, one at a time, against Hugging Face's Rust normalizer and
/// pre-tokenizer (tests/fixtures/tokenizer/unicode.json), so that no character class is left
/// to the texts that happen to be in the other fixtures.
/// </summary>
public sealed class UnicodeTableTests
{
    private static readonly Lazy<JsonElement> Table = new(() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "tokenizer", "unicode.json"))).RootElement);

    private static IEnumerable<int> AllScalars() =>
        Enumerable.Range(0, 0x110000).Where(cp => cp is < 0xD800 or > 0xDFFF);

    [Fact]
    public void Normalize_EveryCodePoint_MatchesReference()
    {
        var normalizer = Table.Value.GetProperty("normalizer");
        var expected = new Dictionary<int, string>();
        void Ranges(string group, Func<int, string> output)
        {
            foreach (var range in normalizer.GetProperty(group).EnumerateArray())
            {
                for (var cp = range[0].GetInt32(); cp <= range[1].GetInt32(); cp++) expected[cp] = output(cp);
            }
        }
        Ranges("dropped", _ => "");
        Ranges("space", _ => " ");
        Ranges("cjk", cp => $" {char.ConvertFromUtf32(cp)} ");
        Ranges("hangul", cp => HangulNfd(cp));
        foreach (var entry in normalizer.GetProperty("mapped").EnumerateArray()) expected[entry[0].GetInt32()] = entry[1].GetString()!;

        var sut = new BertNormalizer(lowercase: true);
        var failures = new List<string>();
        foreach (var cp in AllScalars())
        {
            var input = char.ConvertFromUtf32(cp);
            var want = expected.TryGetValue(cp, out var e) ? e : input;
            var got = sut.Normalize(input);
            if (got != want) failures.Add($"U+{cp:X4} {Describe(input)}: expected {Describe(want)}, got {Describe(got)}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} code points differ:\n{string.Join("\n", failures.Take(300))}");
    }

    [Fact]
    public void IsPunctuationAndWhitespace_EveryCodePoint_MatchesReference()
    {
        var preTokenizer = Table.Value.GetProperty("preTokenizer");
        HashSet<int> Set(string name) => preTokenizer.GetProperty(name).EnumerateArray()
            .SelectMany(r => Enumerable.Range(r[0].GetInt32(), r[1].GetInt32() - r[0].GetInt32() + 1)).ToHashSet();
        var punctuation = Set("punctuation");
        var whitespace = Set("whitespace");
        var failures = new List<string>();
        foreach (var cp in AllScalars())
        {
            var rune = new Rune(cp);
            if (BertPreTokenizer.IsPunctuation(rune) != punctuation.Contains(cp)) failures.Add($"U+{cp:X4} punctuation: expected {punctuation.Contains(cp)}");
            if (Rune.IsWhiteSpace(rune) != whitespace.Contains(cp)) failures.Add($"U+{cp:X4} whitespace: expected {whitespace.Contains(cp)}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} differences:\n{string.Join("\n", failures.Take(300))}");
    }

    private static string HangulNfd(int cp)
    {
        var s = cp - 0xAC00;
        var result = $"{(char)(0x1100 + s / 588)}{(char)(0x1161 + s % 588 / 28)}";
        return s % 28 == 0 ? result : result + (char)(0x11A7 + s % 28);
    }

    private static string Describe(string s) => "\"" + string.Join(" ", s.EnumerateRunes().Select(r => $"U+{r.Value:X4}")) + "\"";
}
