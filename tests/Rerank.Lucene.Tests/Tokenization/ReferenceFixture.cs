using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Rerank.Lucene.Tests.Tokenization;

/// <summary>
/// tests/fixtures/tokenizer/expected.json: ids produced by Hugging Face's Rust tokenizers
/// (see generate.mjs there). SciFact texts are referenced by id and read from the shared
/// dataset; their SHA-256 guards against a changed dataset.
/// </summary>
internal sealed class ReferenceFixture
{
    private static readonly Lazy<ReferenceFixture> Lazy = new(() => new ReferenceFixture());

    private ReferenceFixture()
    {
        var path = Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "tokenizer", "expected.json");
        Root = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        foreach (var text in Root.GetProperty("texts").EnumerateArray())
        {
            var name = text.GetProperty("name").GetString()!;
            if (text.TryGetProperty("source", out var source)) SciFactSources[name] = source;
            else InlineTexts[name] = text.GetProperty("text").GetString()!;
        }
    }

    public static ReferenceFixture Instance => Lazy.Value;

    public JsonElement Root { get; }

    public Dictionary<string, string> InlineTexts { get; } = [];

    public Dictionary<string, JsonElement> SciFactSources { get; } = [];

    /// <summary>The text of a case by name; SciFact ones are read from the dataset (which must be present).</summary>
    public string Text(string name) => InlineTexts.TryGetValue(name, out var text) ? text : SciFactText(name);

    public bool NeedsSciFact(params string[] names) => names.Any(SciFactSources.ContainsKey);

    private readonly Dictionary<string, string> _sciFactCache = [];
    private Dictionary<string, Dictionary<string, JsonElement>>? _sciFactFiles;

    private string SciFactText(string name)
    {
        lock (_sciFactCache)
        {
            if (_sciFactCache.TryGetValue(name, out var cached)) return cached;
            var source = SciFactSources[name];
            _sciFactFiles ??= LoadSciFact();
            var record = _sciFactFiles[source.GetProperty("file").GetString()!][source.GetProperty("id").GetString()!];
            var text = record.GetProperty(source.GetProperty("field").GetString()!).GetString()!;
            var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
            Assert.True(sha == source.GetProperty("sha256").GetString(),
                $"SciFact text {name} changed since expected.json was generated; regenerate it (tests/fixtures/tokenizer/README.md).");
            return _sciFactCache[name] = text;
        }
    }

    private static Dictionary<string, Dictionary<string, JsonElement>> LoadSciFact()
    {
        var dir = TestPaths.DatasetOrNull("scifact") ?? throw new InvalidOperationException(TestPaths.NoDatasetsMessage);
        var files = new Dictionary<string, Dictionary<string, JsonElement>>();
        foreach (var file in new[] { "corpus", "queries" })
        {
            var records = new Dictionary<string, JsonElement>();
            foreach (var line in File.ReadLines(Path.Combine(dir, file + ".jsonl")))
            {
                if (line.Length == 0) continue;
                var element = JsonDocument.Parse(line).RootElement;
                records[element.GetProperty("_id").GetString()!] = element;
            }
            files[file] = records;
        }
        return files;
    }
}
