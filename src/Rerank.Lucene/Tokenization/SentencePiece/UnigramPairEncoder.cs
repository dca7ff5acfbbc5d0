using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rerank.Lucene.Tokenization.SentencePiece;

/// <summary>
/// The SentencePiece Unigram tokenizer of an XLM-RoBERTa folder (bge-reranker, mmarco-mMiniLMv2), read from its
/// <c>tokenizer.json</c> as Hugging Face's Rust <c>tokenizers</c> runs it:
/// <list type="number">
/// <item>special added tokens (<c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;mask&gt;</c>, ...) written in the raw text are
/// split off first (leftmost, then longest; <c>lstrip</c>/<c>rstrip</c> absorb the whitespace beside them);</item>
/// <item>each piece between them is normalized: the <c>Precompiled</c> charsmap (<see cref="PrecompiledNormalizer"/>)
/// then the <c>Replace</c> steps (XLM-R collapses runs of spaces);</item>
/// <item><c>Metaspace</c>: spaces become <c>▁</c>, <c>▁</c> is prepended to a piece not starting with one, and the
/// piece is split before each <c>▁</c>;</item>
/// <item>each word is segmented by <see cref="UnigramModel"/>;</item>
/// <item>the pair template of the <c>post_processor</c> (<c>&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;</c>, all token type 0),
/// with longest-first truncation (<see cref="PairTruncation"/>).</item>
/// </list>
/// Anything else in tokenizer.json (another model type, normalizer or pre-tokenizer) is refused by name. Thread-safe.
/// </summary>
public sealed class UnigramPairEncoder : IPairTokenizer
{
    private readonly UnigramModel _model;
    private readonly PrecompiledNormalizer? _precompiled;
    private readonly (Regex Pattern, string Content)[] _replacements;
    private readonly string _replacement;
    private readonly bool _prependAlways;
    private readonly (string Content, int Id, bool LeftStrip, bool RightStrip)[] _specials;
    private readonly int[] _prefix;
    private readonly int[] _middle;
    private readonly int[] _suffix;

    private UnigramPairEncoder(UnigramModel model, PrecompiledNormalizer? precompiled, (Regex, string)[] replacements, string replacement,
        bool prependAlways, (string, int, bool, bool)[] specials, int[] prefix, int[] middle, int[] suffix, int padId, int maxPositions)
    {
        _model = model;
        _precompiled = precompiled;
        _replacements = replacements;
        _replacement = replacement;
        _prependAlways = prependAlways;
        _specials = specials;
        _prefix = prefix;
        _middle = middle;
        _suffix = suffix;
        PadId = padId;
        MaxPositions = maxPositions;
    }

    /// <inheritdoc/>
    public int MaxPositions { get; }

    /// <summary>The padding id.</summary>
    public int PadId { get; }

    /// <summary>Number of pieces in the vocabulary.</summary>
    public int VocabularySize => _model.Count;

    /// <summary>Reads a SentencePiece Unigram <c>tokenizer.json</c>.</summary>
    /// <param name="path">The tokenizer.json file.</param>
    /// <param name="padToken">The padding token (tokenizer_config.json's <c>pad_token</c>).</param>
    /// <param name="maxPositions">The model's usable positions.</param>
    /// <exception cref="InvalidInputException">The file is missing, malformed, or describes a pipeline not implemented here.</exception>
    public static UnigramPairEncoder Load(string path, string padToken, int maxPositions)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"'{path}' does not exist: an XLM-RoBERTa folder needs its tokenizer.json (the SentencePiece Unigram tokenizer). Copy it from the model's files.", path);
        var root = BertTokenizerFolder.ReadObject(path)!;
        InvalidInputException Bad(string problem) =>
            new($"'{path}': {problem}. Only SentencePiece Unigram tokenizers (Precompiled/Replace normalizers, Metaspace, a pair template) are read for XLM-RoBERTa models.", path);
        string Text(JsonNode? node, string what) =>
            node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw Bad($"{what} is {node?.ToJsonString() ?? "missing"}, not a string");

        if (root["model"] is not JsonObject model) throw Bad("has no \"model\" object");
        if (Text(model["type"], "model.type") != "Unigram") throw Bad($"model.type is \"{Text(model["type"], "model.type")}\", not \"Unigram\"");
        if (model["byte_fallback"] is { } fallback && fallback.GetValueKind() == JsonValueKind.True) throw Bad("model.byte_fallback is true (not implemented)");
        if (model["vocab"] is not JsonArray vocab || vocab.Count == 0) throw Bad("model.vocab is not a non-empty array of [piece, score]");
        var pieces = new List<(string, double)>(vocab.Count);
        foreach (var entry in vocab)
        {
            if (entry is not JsonArray { Count: 2 } pair || pair[0]?.GetValueKind() != JsonValueKind.String || pair[1]?.GetValueKind() != JsonValueKind.Number)
                throw Bad($"model.vocab entry {pieces.Count} is {entry?.ToJsonString()}, not [piece, score]");
            pieces.Add((pair[0]!.GetValue<string>(), pair[1]!.GetValue<double>()));
        }

        var unkId = model["unk_id"] is JsonValue u && u.TryGetValue<int>(out var unk) && unk >= 0 && unk < pieces.Count ? unk : throw Bad("model.unk_id is not an id of the vocabulary");
        var unigram = new UnigramModel(pieces, unkId);

        PrecompiledNormalizer? precompiled = null;
        var replacements = new List<(Regex, string)>();
        void Normalizer(JsonNode? node)
        {
            if (node is null || node.GetValueKind() == JsonValueKind.Null) return;
            if (node is not JsonObject n) throw Bad("normalizer is not an object");
            switch (Text(n["type"], "normalizer.type"))
            {
                case "Sequence":
                    if (n["normalizers"] is not JsonArray list) throw Bad("normalizer Sequence has no normalizers");
                    foreach (var inner in list) Normalizer(inner);
                    break;
                case "Precompiled":
                    if (precompiled is not null || replacements.Count > 0) throw Bad("the Precompiled normalizer must come first and once");
                    var charsmap = n["precompiled_charsmap"];
                    if (charsmap is null || charsmap.GetValueKind() == JsonValueKind.Null) break; // an empty charsmap normalizes nothing
                    precompiled = new PrecompiledNormalizer(Convert.FromBase64String(Text(charsmap, "precompiled_charsmap")), path);
                    break;
                case "Replace":
                    var pattern = n["pattern"] as JsonObject ?? throw Bad("a Replace normalizer has no pattern");
                    var regex = pattern["Regex"] is { } r ? new Regex(Text(r, "Replace pattern"), RegexOptions.CultureInvariant)
                        : pattern["String"] is { } s ? new Regex(Regex.Escape(Text(s, "Replace pattern")), RegexOptions.CultureInvariant)
                        : throw Bad("a Replace pattern is neither Regex nor String");
                    replacements.Add((regex, Text(n["content"], "Replace content")));
                    break;
                case var other:
                    throw Bad($"normalizer \"{other}\" is not implemented");
            }
        }

        Normalizer(root["normalizer"]);

        if (root["pre_tokenizer"] is not JsonObject pre || Text(pre["type"], "pre_tokenizer.type") != "Metaspace")
            throw Bad($"pre_tokenizer is {root["pre_tokenizer"]?["type"]?.ToJsonString() ?? "missing"}, not Metaspace");
        var replacement = Text(pre["replacement"], "pre_tokenizer.replacement");
        if (replacement.Length != 1) throw Bad("pre_tokenizer.replacement is not one character");
        var scheme = pre["prepend_scheme"] is { } ps ? Text(ps, "pre_tokenizer.prepend_scheme")
            : pre["add_prefix_space"] is { } aps && aps.GetValueKind() == JsonValueKind.False ? "never" : "always";
        if (scheme is not ("always" or "never")) throw Bad($"pre_tokenizer.prepend_scheme \"{scheme}\" is not implemented (always and never are)");
        if (pre["split"] is { } split && split.GetValueKind() == JsonValueKind.False) throw Bad("pre_tokenizer.split false is not implemented");

        var specials = new List<(string, int, bool, bool)>();
        if (root["added_tokens"] is JsonArray added)
        {
            foreach (var node in added)
            {
                if (node is not JsonObject token) throw Bad("added_tokens holds a non-object");
                var content = Text(token["content"], "added token content");
                var id = token["id"] is JsonValue iv && iv.TryGetValue<int>(out var tokenId) ? tokenId : throw Bad($"added token '{content}' has no id");
                bool Flag(string key) => token[key]?.GetValueKind() == JsonValueKind.True;
                if (!Flag("special")) throw Bad($"added token '{content}' is not special (non-special added tokens are not implemented)");
                if (Flag("single_word")) throw Bad($"added token '{content}' is single_word (not implemented)");
                if (!unigram.TryGetId(content, out var vocabId) || vocabId != id) throw Bad($"added token '{content}' (id {id}) is not the vocabulary's piece of that id");
                specials.Add((content, id, Flag("lstrip"), Flag("rstrip")));
            }
        }

        var (prefix, middle, suffix) = ReadTemplate(root["post_processor"], unigram, Bad, Text);
        if (!unigram.TryGetId(padToken, out var padId)) throw Bad($"the pad token '{padToken}' is not in the vocabulary");
        return new UnigramPairEncoder(unigram, precompiled, replacements.ToArray(), replacement, scheme == "always", specials.ToArray(),
            prefix, middle, suffix, padId, maxPositions);
    }

    /// <summary>The pair template: ids before A, between A and B, after B (all token type 0).</summary>
    private static (int[] Prefix, int[] Middle, int[] Suffix) ReadTemplate(JsonNode? node, UnigramModel model,
        Func<string, InvalidInputException> bad, Func<JsonNode?, string, string> text)
    {
        if (node is not JsonObject post) throw bad("post_processor is missing");
        int Id(string token) => model.TryGetId(token, out var id) ? id : throw bad($"post_processor names '{token}', which is not in the vocabulary");
        switch (text(post["type"], "post_processor.type"))
        {
            case "RobertaProcessing":
                var cls = Id(text((post["cls"] as JsonArray)?[0], "post_processor.cls"));
                var sep = Id(text((post["sep"] as JsonArray)?[0], "post_processor.sep"));
                return ([cls], [sep, sep], [sep]);
            case "TemplateProcessing":
                if (post["pair"] is not JsonArray pair) throw bad("post_processor.pair is missing");
                var parts = new List<int>[] { [], [], [] };
                var part = 0;
                foreach (var item in pair)
                {
                    if (item?["SpecialToken"] is JsonObject special)
                    {
                        if (special["type_id"] is JsonValue t && t.GetValue<int>() != 0) throw bad("post_processor.pair gives a special token type id other than 0 (not implemented for this tokenizer)");
                        parts[part].Add(Id(text(special["id"], "post_processor special token")));
                    }
                    else if (item?["Sequence"] is JsonObject sequence)
                    {
                        if (sequence["type_id"] is JsonValue t && t.GetValue<int>() != 0) throw bad("post_processor.pair gives a sequence type id other than 0 (not implemented for this tokenizer)");
                        var expected = part == 0 ? "A" : "B";
                        if (part > 1 || text(sequence["id"], "post_processor sequence") != expected) throw bad("post_processor.pair is not of the form ... $A ... $B ...");
                        part++;
                    }
                    else
                    {
                        throw bad($"post_processor.pair holds {item?.ToJsonString()}");
                    }
                }

                if (part != 2) throw bad("post_processor.pair does not hold $A and $B");
                return (parts[0].ToArray(), parts[1].ToArray(), parts[2].ToArray());
            case var other:
                throw bad($"post_processor \"{other}\" is not implemented");
        }
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
        var at = 0;
        foreach (var id in _prefix) ids[at++] = id;
        for (var i = 0; i < keptQuery; i++) ids[at++] = q[i];
        foreach (var id in _middle) ids[at++] = id;
        for (var i = 0; i < keptDocument; i++) ids[at++] = d[i];
        foreach (var id in _suffix) ids[at++] = id;
        var mask = new long[ids.Length];
        Array.Fill(mask, 1L);
        return new PairEncoding(ids, new long[ids.Length], mask, specials + q.Count + d.Count);
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
            encodings[row].AttentionMask.CopyTo(mask, row * width);
        }

        return new EncodedBatch(encodings.Count, width, ids, types, mask);
    }

    /// <summary>The ids of <paramref name="text"/> without the template's special tokens.</summary>
    public List<int> Tokenize(string text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        var from = 0;
        while (from <= text.Length)
        {
            var (at, length, id, left, right) = FindSpecial(text, from);
            if (at < 0)
            {
                TokenizePlain(text.AsSpan(from), ids);
                break;
            }

            var start = at;
            if (left) while (start > from && char.IsWhiteSpace(text[start - 1])) start--;
            var end = at + length;
            if (right) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            TokenizePlain(text.AsSpan(from, start - from), ids);
            ids.Add(id);
            from = end;
        }

        return ids;
    }

    private (int At, int Length, int Id, bool Left, bool Right) FindSpecial(string text, int from)
    {
        var best = (At: -1, Length: 0, Id: 0, Left: false, Right: false);
        foreach (var (content, id, left, right) in _specials)
        {
            var at = text.IndexOf(content, from, StringComparison.Ordinal);
            if (at < 0) continue;
            if (best.At < 0 || at < best.At || (at == best.At && content.Length > best.Length)) best = (at, content.Length, id, left, right);
        }

        return best;
    }

    private void TokenizePlain(ReadOnlySpan<char> piece, List<int> ids)
    {
        if (piece.IsEmpty) return;
        var text = _precompiled?.Normalize(piece.ToString()) ?? piece.ToString();
        foreach (var (pattern, content) in _replacements) text = pattern.Replace(text, content);
        if (text.Length == 0) return;
        var marked = new StringBuilder(text.Length + 1);
        if (_prependAlways && text[0] != ' ' && text[0] != _replacement[0]) marked.Append(_replacement);
        marked.Append(text.Replace(' ', _replacement[0]));
        var words = marked.ToString();
        var start = 0;
        for (var i = 1; i <= words.Length; i++)
        {
            if (i < words.Length && words[i] != _replacement[0]) continue;
            _model.Encode(words.AsSpan(start, i - start), ids);
            start = i;
        }
    }
}
