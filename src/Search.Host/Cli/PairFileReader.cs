using System.Text.Json;
using Rerank.Lucene;

namespace Search.Host.Cli;

/// <summary>
/// Reads (query, document) pairs for <c>score</c>: TSV lines <c>query&lt;TAB&gt;document</c>, or JSONL
/// objects with "query" and "document" (chosen by the .jsonl/.json extension or a leading '{').
/// An empty query or document is scored like any other text, as sentence-transformers' <c>CrossEncoder.predict</c>
/// scores it (the pair is then <c>[CLS] [SEP] document [SEP]</c> or <c>[CLS] query [SEP] [SEP]</c>).
/// </summary>
internal static class PairFileReader
{
    /// <summary>All pairs in file order; blank lines are skipped.</summary>
    /// <exception cref="InvalidInputException">A line is malformed; the message names file and line.</exception>
    public static List<(string Query, string Document)> Read(string path)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"Pairs file '{path}' does not exist. Pass a TSV (query<TAB>document per line) or JSONL ({{\"query\", \"document\"}} per line) file to --pairs.", path);
        var pairs = new List<(string, string)>();
        var jsonl = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        foreach (var (n, line) in Utf8LineReader.ReadLines(path, "Pairs file", "TSV or JSONL (query, document) pairs"))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            pairs.Add(jsonl || line.TrimStart().StartsWith('{') ? ParseJson(path, n, line) : ParseTsv(path, n, line));
        }
        if (pairs.Count == 0)
            throw new InvalidInputException($"{path}: expected at least one (query, document) pair, found none. Add lines like: what is BM25?<TAB>BM25 is a ranking function.", path);
        return pairs;
    }

    private static (string, string) ParseTsv(string path, int n, string line)
    {
        var tab = line.IndexOf('\t');
        if (tab < 0)
            throw new InvalidInputException($"{path} line {n}: expected query<TAB>document, found no tab. Separate query and document with one tab, or use JSONL.", path, n);
        var query = line[..tab].Trim();
        var document = line[(tab + 1)..].Trim();
        return (query, document);
    }

    private static (string, string) ParseJson(string path, int n, string line)
    {
        try
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("query", out var q) || q.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("document", out var d) || d.ValueKind != JsonValueKind.String)
            {
                throw new InvalidInputException($"{path} line {n}: expected an object with string fields \"query\" and \"document\". Fix that line.", path, n);
            }
            var query = JsonKinds.TryGetString(q)?.Trim();
            var document = JsonKinds.TryGetString(d);
            if (query is null || document is null)
                throw new InvalidInputException($"{path} line {n}: field \"{(query is null ? "query" : "document")}\" {JsonKinds.LoneSurrogate} on that line.", path, n);
            return (query, document);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path} line {n}: expected one JSON object per line, found malformed JSON ({e.Message}). Fix that line.", path, n, e);
        }
    }
}
