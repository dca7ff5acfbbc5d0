using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rerank.Lucene.Tokenization.ByteLevelBpe;

/// <summary>
/// A byte-level BPE tokenizer (GPT-2 / GPT-NeoX style, as ModernBERT's <c>tokenizer.json</c> holds it), run as
/// Hugging Face's Rust <c>tokenizers</c> runs it:
/// <list type="number">
/// <item>added tokens are split off: special ones in the raw text, the others after normalization (leftmost, then
/// longest; lstrip/rstrip absorb the whitespace beside them);</item>
/// <item>the <c>NFC</c> normalizer when present;</item>
/// <item><c>ByteLevel</c> pre-tokenization: GPT-2's split pattern, then every UTF-8 byte mapped to its printable
/// stand-in character;</item>
/// <item>BPE: adjacent symbols merged by merge rank (lowest first, leftmost on ties) until no merge applies;</item>
/// <item>the pair template of the <c>post_processor</c> (<c>[CLS] A [SEP] B [SEP]</c>), longest-first truncation.</item>
/// </list>
/// Other pipelines are refused by name. Thread-safe.
/// </summary>
public sealed class ByteLevelBpePairEncoder : IPairTokenizer
{
    private static readonly Regex Gpt2Split = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    private static readonly char[] ByteChars = BuildByteChars();

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly bool _nfc;
    private readonly bool _addPrefixSpace;
    private readonly AddedToken[] _raw;
    private readonly AddedToken[] _normalized;
    private readonly int[] _prefix;
    private readonly int[] _middle;
    private readonly int[] _suffix;
    private readonly int[] _types;

    private ByteLevelBpePairEncoder(Dictionary<string, int> vocab, Dictionary<(string, string), int> ranks, bool nfc, bool addPrefixSpace,
        AddedToken[] raw, AddedToken[] normalized, int[] prefix, int[] middle, int[] suffix, int[] types, int padId, int maxPositions)
    {
        _vocab = vocab;
        _ranks = ranks;
        _nfc = nfc;
        _addPrefixSpace = addPrefixSpace;
        _raw = raw;
        _normalized = normalized;
        _prefix = prefix;
        _middle = middle;
        _suffix = suffix;
        _types = types;
        PadId = padId;
        MaxPositions = maxPositions;
    }

    /// <inheritdoc/>
    public int MaxPositions { get; }

    /// <summary>The padding id.</summary>
    public int PadId { get; }

    /// <summary>Reads a byte-level BPE <c>tokenizer.json</c>.</summary>
    /// <param name="path">The tokenizer.json file.</param>
    /// <param name="padToken">The padding token (tokenizer_config.json's <c>pad_token</c>).</param>
    /// <param name="maxPositions">The model's usable positions.</param>
    /// <exception cref="InvalidInputException">The file is missing, malformed, or describes a pipeline not implemented here.</exception>
    public static ByteLevelBpePairEncoder Load(string path, string padToken, int maxPositions)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"'{path}' does not exist: this model's BPE tokenizer is read from tokenizer.json. Copy it from the model's files.", path);
        var root = BertTokenizerFolder.ReadObject(path)!;
        InvalidInputException Bad(string problem) =>
            new($"'{path}': {problem}. Only byte-level BPE tokenizers (optional NFC, ByteLevel pre-tokenizer, BPE, a pair template) are read for this architecture.", path);
        string Text(JsonNode? node, string what) =>
            node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw Bad($"{what} is {node?.ToJsonString() ?? "missing"}, not a string");
        bool IsTrue(JsonNode? node) => node?.GetValueKind() == JsonValueKind.True;
        bool IsSet(JsonNode? node) => node is not null && node.GetValueKind() != JsonValueKind.Null;

        if (root["model"] is not JsonObject model || Text(model["type"], "model.type") != "BPE") throw Bad("model.type is not \"BPE\"");
        if (IsTrue(model["byte_fallback"]) || IsTrue(model["ignore_merges"]) || IsSet(model["dropout"]) || IsSet(model["continuing_subword_prefix"]) || IsSet(model["end_of_word_suffix"]))
            throw Bad("the BPE model sets byte_fallback, ignore_merges, dropout or a subword prefix/suffix (not implemented)");
        if (model["vocab"] is not JsonObject vocabNode) throw Bad("model.vocab is not an object of token: id");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, node) in vocabNode)
            vocab[token] = node is JsonValue v && v.TryGetValue<int>(out var id) && id >= 0 ? id : throw Bad($"model.vocab gives '{token}' the id {node?.ToJsonString()}");
        if (model["merges"] is not JsonArray mergesNode) throw Bad("model.merges is not an array");
        var ranks = new Dictionary<(string, string), int>();
        foreach (var node in mergesNode)
        {
            (string, string) pair = node switch
            {
                JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Split(' ') is { Length: 2 } split => (split[0], split[1]),
                JsonArray { Count: 2 } a => (Text(a[0], "merge"), Text(a[1], "merge")),
                _ => throw Bad($"model.merges holds {node?.ToJsonString()}, not a pair"),
            };
            ranks.TryAdd(pair, ranks.Count);
        }

        var nfc = false;
        if (root["normalizer"] is JsonObject normalizer)
        {
            if (Text(normalizer["type"], "normalizer.type") != "NFC") throw Bad($"normalizer \"{Text(normalizer["type"], "normalizer.type")}\" is not implemented (NFC is)");
            nfc = true;
        }
        else if (IsSet(root["normalizer"]))
        {
            throw Bad("normalizer is not an object");
        }

        if (root["pre_tokenizer"] is not JsonObject pre || Text(pre["type"], "pre_tokenizer.type") != "ByteLevel")
            throw Bad($"pre_tokenizer is {root["pre_tokenizer"]?["type"]?.ToJsonString() ?? "missing"}, not ByteLevel");
        if (pre["use_regex"] is { } useRegex && useRegex.GetValueKind() == JsonValueKind.False) throw Bad("pre_tokenizer.use_regex false is not implemented");
        var addPrefixSpace = IsTrue(pre["add_prefix_space"]);

        var addedTokens = new List<AddedToken>();
        if (root["added_tokens"] is JsonArray added)
        {
            foreach (var node in added)
            {
                if (node is not JsonObject token) throw Bad("added_tokens holds a non-object");
                var content = Text(token["content"], "added token content");
                var id = token["id"] is JsonValue iv && iv.TryGetValue<int>(out var tokenId) ? tokenId : throw Bad($"added token '{content}' has no id");
                if (IsTrue(token["single_word"])) throw Bad($"added token '{content}' is single_word (not implemented)");
                if (content.Length == 0) throw Bad("an added token is empty");
                // Special tokens are never normalized; others follow their "normalized" flag (Hugging Face's default: true).
                var normalized = !IsTrue(token["special"]) && token["normalized"]?.GetValueKind() != JsonValueKind.False;
                addedTokens.Add(new AddedToken(content, id, IsTrue(token["lstrip"]), IsTrue(token["rstrip"]), normalized));
            }
        }

        int Id(string token) => addedTokens.FirstOrDefault(s => s.Content == token) is { } a ? a.Id
            : vocab.TryGetValue(token, out var id) ? id : throw Bad($"'{token}' is neither an added token nor in the vocabulary");
        if (root["post_processor"] is not JsonObject post || Text(post["type"], "post_processor.type") != "TemplateProcessing" || post["pair"] is not JsonArray pairTemplate)
            throw Bad("post_processor is not a TemplateProcessing with a pair template");
        var parts = new List<int>[] { [], [], [] };
        var types = new List<int>();
        var part = 0;
        foreach (var item in pairTemplate)
        {
            if (item?["SpecialToken"] is JsonObject special)
            {
                parts[part].Add(Id(Text(special["id"], "post_processor special token")));
            }
            else if (item?["Sequence"] is JsonObject sequence)
            {
                if (part > 1 || Text(sequence["id"], "post_processor sequence") != (part == 0 ? "A" : "B")) throw Bad("post_processor.pair is not of the form ... $A ... $B ...");
                part++;
            }
            else
            {
                throw Bad($"post_processor.pair holds {item?.ToJsonString()}");
            }

            types.Add(item["SpecialToken"]?["type_id"] is JsonValue t1 ? t1.GetValue<int>() : item["Sequence"]?["type_id"] is JsonValue t2 ? t2.GetValue<int>() : 0);
        }

        if (part != 2) throw Bad("post_processor.pair does not hold $A and $B");
        return new ByteLevelBpePairEncoder(vocab, ranks, nfc, addPrefixSpace, addedTokens.Where(t => !t.Normalized).ToArray(),
            addedTokens.Where(t => t.Normalized).ToArray(), parts[0].ToArray(), parts[1].ToArray(), parts[2].ToArray(),
            types.ToArray(), Id(padToken), maxPositions);
    }

    /// <inheritdoc/>
    public PairEncoding Encode(string query, string document, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(document);
        var specials = _prefix.Length + _middle.Length + _suffix.Length;
        if (maxLength < specials + 1 || maxLength > MaxPositions)
            throw new InvalidInputException(
                $"maxLength must be between {specials + 1} and {MaxPositions} ({specials} special tokens and room for one token; {MaxPositions} is the model's usable positions), got {maxLength}. Choose a max length in that range.");
        var q = Tokenize(query);
        var d = Tokenize(document);
        var (keptQuery, keptDocument) = PairTruncation.LongestFirst(q.Count, d.Count, maxLength, specials);
        var ids = new long[specials + keptQuery + keptDocument];
        var typeIds = new long[ids.Length];
        var at = 0;
        var template = 0;
        void Special(int id)
        {
            typeIds[at] = _types[template++];
            ids[at++] = id;
        }

        void Sequence(List<int> tokens, int kept)
        {
            var type = _types[template++];
            for (var i = 0; i < kept; i++)
            {
                typeIds[at] = type;
                ids[at++] = tokens[i];
            }
        }

        foreach (var id in _prefix) Special(id);
        Sequence(q, keptQuery);
        foreach (var id in _middle) Special(id);
        Sequence(d, keptDocument);
        foreach (var id in _suffix) Special(id);
        var mask = new long[ids.Length];
        Array.Fill(mask, 1L);
        return new PairEncoding(ids, typeIds, mask, specials + q.Count + d.Count);
    }

    /// <inheritdoc/>
    public EncodedBatch EncodeBatch(IReadOnlyList<(string Query, string Document)> pairs, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return Pad(pairs.Select(p => Encode(p.Query, p.Document, maxLength)).ToList());
    }

    /// <inheritdoc/>
    public EncodedBatch Pad(IReadOnlyList<PairEncoding> encodings)
    {
        ArgumentNullException.ThrowIfNull(encodings);
        var width = encodings.Count == 0 ? 0 : encodings.Max(e => e.Length);
        var ids = new long[encodings.Count * width];
        Array.Fill(ids, PadId);
        var types = new long[ids.Length];
        var mask = new long[ids.Length];
        for (var row = 0; row < encodings.Count; row++)
        {
            encodings[row].InputIds.CopyTo(ids, row * width);
            encodings[row].TokenTypeIds.CopyTo(types, row * width);
            encodings[row].AttentionMask.CopyTo(mask, row * width);
        }

        return new EncodedBatch(encodings.Count, width, ids, types, mask);
    }

    /// <summary>
    /// The ids of <paramref name="text"/> without the template's special tokens. Added tokens are matched as Hugging
    /// Face's added vocabulary matches them: those not normalized (the special ones) in the raw text, the others in
    /// the normalized text of the pieces between; leftmost, then longest; lstrip/rstrip absorb the whitespace beside a match.
    /// </summary>
    public List<int> Tokenize(string text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        SplitOnAdded(text, _raw, ids, piece =>
        {
            var normalized = _nfc ? piece.Normalize(NormalizationForm.FormC) : piece;
            SplitOnAdded(normalized, _normalized, ids, plain => TokenizePlain(plain, ids));
        });
        return ids;
    }

    private static void SplitOnAdded(string text, AddedToken[] tokens, List<int> ids, Action<string> between)
    {
        var from = 0;
        while (true)
        {
            AddedToken? best = null;
            var bestAt = -1;
            foreach (var token in tokens)
            {
                var at = text.IndexOf(token.Content, from, StringComparison.Ordinal);
                if (at >= 0 && (bestAt < 0 || at < bestAt || (at == bestAt && token.Content.Length > best!.Content.Length))) (best, bestAt) = (token, at);
            }

            if (best is null)
            {
                if (from < text.Length) between(text[from..]);
                return;
            }

            var start = bestAt;
            if (best.LeftStrip) while (start > from && char.IsWhiteSpace(text[start - 1])) start--;
            var end = bestAt + best.Content.Length;
            if (best.RightStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > from) between(text[from..start]);
            ids.Add(best.Id);
            from = end;
        }
    }

    private void TokenizePlain(string text, List<int> ids)
    {
        if (text.Length == 0) return;
        if (_addPrefixSpace && !text.StartsWith(' ')) text = " " + text;
        foreach (Match word in Gpt2Split.Matches(text))
        {
            var bytes = Encoding.UTF8.GetBytes(word.Value);
            var symbols = new List<string>(bytes.Length);
            foreach (var b in bytes) symbols.Add(ByteChars[b].ToString());
            Merge(symbols);
            foreach (var symbol in symbols)
            {
                // Every byte stand-in is in a byte-level vocabulary; a merge result always is.
                if (!_vocab.TryGetValue(symbol, out var id))
                    throw new InvalidInputException($"The BPE vocabulary has no entry for '{symbol}' (a byte-level vocabulary holds all 256 byte symbols); the tokenizer.json is incomplete.");
                ids.Add(id);
            }
        }
    }

    /// <summary>Applies merges lowest rank first (leftmost among equal ranks) until none applies.</summary>
    private void Merge(List<string> symbols)
    {
        while (symbols.Count > 1)
        {
            var bestRank = int.MaxValue;
            var bestAt = -1;
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out var rank) && rank < bestRank) (bestRank, bestAt) = (rank, i);
            }

            if (bestAt < 0) return;
            symbols[bestAt] += symbols[bestAt + 1];
            symbols.RemoveAt(bestAt + 1);
        }
    }

    /// <summary>GPT-2's reversible map from bytes to printable characters.</summary>
    private static char[] BuildByteChars()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }

        return map;
    }

    private sealed record AddedToken(string Content, int Id, bool LeftStrip, bool RightStrip, bool Normalized);
}
