using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rerank.Lucene.Tokenization;

/// <summary>
/// The WordPiece tokenizer of a Hugging Face BERT folder, read as <c>AutoTokenizer</c> (the fast
/// <c>BertTokenizerFast</c> that sentence-transformers' CrossEncoder runs) reads it:
/// <list type="bullet">
/// <item>with <c>tokenizer.json</c> (the file the fast tokenizer is built from): the vocabulary, the WordPiece unk token
/// and the pair's [CLS]/[SEP] (its post_processor template) from it, whatever tokenizer_config.json says; without it,
/// the vocabulary from <c>vocab.txt</c> and the special tokens from <c>tokenizer_config.json</c>, overridden by
/// <c>special_tokens_map.json</c>;</item>
/// <item>the normalizer settings from <c>tokenizer_config.json</c>, with Hugging Face's defaults for absent keys
/// (<c>do_lower_case</c> true, <c>strip_accents</c> null = follows lower-casing, <c>tokenize_chinese_chars</c> true):
/// <c>BertTokenizerFast</c> rewrites the normalizer of <c>tokenizer.json</c> to these values, so they win over it;
/// except with <c>tokenizer_class</c> <c>PreTrainedTokenizerFast</c>, which takes tokenizer.json's normalizer as it is
/// and ignores those keys;</item>
/// <item><c>tokenizer_class</c>, when given, must be the family's own (slow or fast) or PreTrainedTokenizerFast with tokenizer.json.</item>
/// </list>
/// Settings that would change tokenization in a way this library does not implement are refused by name
/// (<see cref="Read(string, int, string, IReadOnlyList{string})"/>); keys that only affect decoding or Python class selection are accepted.
/// </summary>
internal static class BertTokenizerFolder
{
    /// <summary>WordPiece vocabulary, one token per line.</summary>
    public const string VocabFile = "vocab.txt";

    /// <summary>The fast tokenizer's serialized pipeline.</summary>
    public const string TokenizerJsonFile = "tokenizer.json";

    /// <summary>Tokenizer settings.</summary>
    public const string TokenizerConfigFile = "tokenizer_config.json";

    /// <summary>Special tokens (override tokenizer_config.json's).</summary>
    public const string SpecialTokensMapFile = "special_tokens_map.json";

    /// <summary>Keys of tokenizer_config.json that do not change the ids of an encoded pair (decoding, class names, bookkeeping).</summary>
    private static readonly HashSet<string> NoEffectKeys =
    [
        "clean_up_tokenization_spaces", "tokenizer_class", "name_or_path", "special_tokens_map_file", "auto_map",
        "extra_special_tokens", "processor_class", "tokenizer_file", "full_tokenizer_file", "init_inputs", "stride",
        "truncation_strategy", "max_length", "pad_to_multiple_of", "pad_token_type_id", "verbose", "added_tokens_decoder",
        "do_basic_tokenize", "never_split", "padding_side", "truncation_side", "model_input_names", "split_special_tokens",
    ];

    /// <summary>
    /// Reads the tokenizer of <paramref name="folder"/>.
    /// </summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="maxPositions">The model's usable positions (max_position_embeddings).</param>
    /// <returns>The encoder and the folder's <c>model_max_length</c> (null when absent or beyond 1e9, Hugging Face's "no limit").</returns>
    /// <exception cref="InvalidInputException">No vocabulary; a setting is malformed or asks for behaviour not implemented (named with its file and key).</exception>
    public static (BertPairEncoder Encoder, int? ModelMaxLength) Read(string folder, int maxPositions) =>
        Read(folder, maxPositions, "bert", BertTokenizerClasses);

    /// <summary>The tokenizer classes of BERT folders (slow and fast).</summary>
    public static IReadOnlyList<string> BertTokenizerClasses { get; } = ["BertTokenizer", "BertTokenizerFast"];

    /// <summary>
    /// Reads the WordPiece tokenizer of a folder of <paramref name="modelType"/>, whose tokenizer_config.json may name
    /// one of <paramref name="tokenizerClasses"/> (or PreTrainedTokenizerFast where tokenizer.json is present).
    /// </summary>
    /// <exception cref="InvalidInputException">As <see cref="Read(string, int)"/>, or another tokenizer_class.</exception>
    public static (BertPairEncoder Encoder, int? ModelMaxLength) Read(string folder, int maxPositions, string modelType, IReadOnlyList<string> tokenizerClasses)
    {
        var configPath = Path.Combine(folder, TokenizerConfigFile);
        var config = ReadObject(configPath) ?? new JsonObject();
        var jsonPath = Path.Combine(folder, TokenizerJsonFile);
        var hasJson = File.Exists(jsonPath);
        var tokenizerClass = CheckTokenizerClass(config, configPath, modelType, tokenizerClasses, hasJson);
        var specialsPath = Path.Combine(folder, SpecialTokensMapFile);
        var specials = ReadObject(specialsPath) ?? new JsonObject();

        InvalidInputException Bad(string path, string key, string problem) =>
            new($"'{path}': \"{key}\" {problem}.", path);

        foreach (var (key, _) in config)
        {
            if (NoEffectKeys.Contains(key) || key is "do_lower_case" or "strip_accents" or "tokenize_chinese_chars" or "model_max_length" or "max_len"
                || key.EndsWith("_token", StringComparison.Ordinal) || key == "additional_special_tokens") continue;
            throw Bad(configPath, key, "is a tokenizer setting this library does not implement, so it cannot promise Hugging Face's ids; remove it if it does not change tokenization");
        }

        bool Bool(string key, bool fallback) => config[key] switch
        {
            null => fallback,
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            var other => throw Bad(configPath, key, $"must be true or false; got {other.ToJsonString()}"),
        };

        if (!Bool("do_basic_tokenize", true))
            throw Bad(configPath, "do_basic_tokenize", "is false: WordPiece without the basic tokenizer is not implemented (Hugging Face's fast tokenizer ignores it, its slow one does not); set it to true or remove it");
        if (config["never_split"] is JsonArray { Count: > 0 })
            throw Bad(configPath, "never_split", "lists words: never_split is not implemented (Hugging Face's fast tokenizer ignores it, its slow one does not); remove it");
        if (Bool("split_special_tokens", false))
            throw Bad(configPath, "split_special_tokens", "is true: special tokens written in a text are always kept whole here; remove it");
        foreach (var side in new[] { "padding_side", "truncation_side" })
        {
            if (config[side] is { } node && (node.GetValueKind() != JsonValueKind.String || node.GetValue<string>() != "right"))
                throw Bad(configPath, side, $"is {node.ToJsonString()}; only \"right\" is implemented");
        }

        if (config["model_input_names"] is JsonArray names)
        {
            var given = names.Select(n => n?.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : "").ToHashSet(StringComparer.Ordinal);
            if (!given.SetEquals(["input_ids", "token_type_ids", "attention_mask"]))
                throw Bad(configPath, "model_input_names", $"is {names.ToJsonString()}; only [\"input_ids\", \"token_type_ids\", \"attention_mask\"] is implemented");
        }

        bool? stripAccents = config["strip_accents"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
            var other => throw Bad(configPath, "strip_accents", $"must be true, false or null; got {other.ToJsonString()}"),
        };

        string Token(string key, string fallback)
        {
            foreach (var (source, path) in new[] { (specials, specialsPath), (config, configPath) })
            {
                var node = source[key];
                if (node is null || node.GetValueKind() == JsonValueKind.Null) continue;
                return TokenContent(node) ?? throw Bad(path, key, $"must be a string or an object with \"content\"; got {node.ToJsonString()}");
            }

            return fallback;
        }

        var additional = new List<string>();
        foreach (var key in new[] { "bos_token", "eos_token" })
        {
            var token = Token(key, "");
            if (token.Length > 0) additional.Add(token);
        }

        foreach (var (source, path) in new[] { (specials, specialsPath), (config, configPath) })
        {
            if (source["additional_special_tokens"] is not JsonArray list) continue;
            foreach (var node in list)
            {
                additional.Add((node is null ? null : TokenContent(node)) ?? throw Bad(path, "additional_special_tokens", $"holds {node?.ToJsonString() ?? "null"}, not a token"));
            }

            break;
        }

        var options = new BertEncoderOptions
        {
            Lowercase = Bool("do_lower_case", true),
            StripAccents = stripAccents,
            TokenizeChineseChars = Bool("tokenize_chinese_chars", true),
            UnkToken = Token("unk_token", "[UNK]"),
            SepToken = Token("sep_token", "[SEP]"),
            PadToken = Token("pad_token", "[PAD]"),
            ClsToken = Token("cls_token", "[CLS]"),
            MaskToken = Token("mask_token", "[MASK]"),
            AdditionalSpecialTokens = additional,
            MaxPositions = maxPositions,
        };

        var modelMaxLength = ReadModelMaxLength(config, configPath);
        var vocabPath = Path.Combine(folder, VocabFile);
        BertPairEncoder encoder;
        if (hasJson)
        {
            // The fast tokenizer (what CrossEncoder runs) is built from tokenizer.json: its vocabulary, its WordPiece
            // unk token and its pair template (the [CLS]/[SEP] tokens) are used as they are there, whatever
            // tokenizer_config.json says. Its normalizer too for PreTrainedTokenizerFast; Bert/ElectraTokenizerFast
            // instead rewrite the normalizer to tokenizer_config.json's do_lower_case, strip_accents, tokenize_chinese_chars.
            var json = ReadTokenizerJson(jsonPath, tokenizerClass == PreTrainedTokenizerFast);
            options = options with { UnkToken = json.UnkToken, ClsToken = json.ClsToken, SepToken = json.SepToken };
            if (json.Normalizer is { } n) options = options with { Lowercase = n.Lowercase, StripAccents = n.StripAccents, TokenizeChineseChars = n.HandleChineseChars };
            encoder = BertPairEncoder.FromTokens(json.Tokens, options);
            CheckTemplateIds(jsonPath, json, encoder);
        }
        else if (File.Exists(vocabPath))
        {
            if (tokenizerClass == PreTrainedTokenizerFast)
                throw Bad(configPath, "tokenizer_class", $"is \"{PreTrainedTokenizerFast}\" but the folder has no {TokenizerJsonFile}, which that class is built from; copy the model's tokenizer.json into the folder or name the model's own tokenizer class");
            encoder = new BertPairEncoder(vocabPath, options);
        }
        else
        {
            throw new InvalidInputException(
                $"Model folder '{folder}' has neither {VocabFile} nor {TokenizerJsonFile}: the tokenizer's vocabulary is needed to encode pairs. Copy the base model's vocab.txt or tokenizer.json into the folder.",
                folder);
        }

        CheckAddedTokens(config, configPath, encoder, options);
        return (encoder, modelMaxLength);
    }

    /// <summary>
    /// <c>model_max_length</c> (or the old <c>max_len</c>) of a tokenizer_config.json; null when absent or at least
    /// 1e9 (Hugging Face writes 1e30, "no limit", when a model declares none).
    /// </summary>
    internal static int? ReadModelMaxLength(JsonObject config, string path)
    {
        var key = config.ContainsKey("model_max_length") ? "model_max_length" : "max_len";
        var node = config[key];
        if (node is null || node.GetValueKind() == JsonValueKind.Null) return null;
        if (node.GetValueKind() != JsonValueKind.Number || !(node.GetValue<double>() is var value && value >= 1 && value == Math.Floor(value)))
            throw new InvalidInputException($"'{path}': \"{key}\" must be a positive integer; got {node.ToJsonString()}.", path);
        return value >= 1e9 ? null : (int)value;
    }

    /// <summary>The tokenizer class Hugging Face builds from tokenizer.json alone, whatever the model.</summary>
    public const string PreTrainedTokenizerFast = "PreTrainedTokenizerFast";

    /// <summary>
    /// Refuses a <c>tokenizer_class</c> the model family does not use: AutoTokenizer would build that class (another
    /// tokenizer altogether, e.g. DebertaV2Tokenizer in a BERT folder), so the ids here could not be Hugging Face's.
    /// </summary>
    /// <returns>The class named, or null when tokenizer_config.json names none.</returns>
    internal static string? CheckTokenizerClass(JsonObject config, string configPath, string modelType, IReadOnlyList<string> accepted, bool hasTokenizerJson)
    {
        var node = config["tokenizer_class"];
        if (node is null || node.GetValueKind() == JsonValueKind.Null) return null;
        List<string> allowed = hasTokenizerJson ? [.. accepted, PreTrainedTokenizerFast] : [.. accepted];
        var name = node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
        if (name is not null && allowed.Contains(name)) return name;
        throw new InvalidInputException(
            $"'{configPath}': \"tokenizer_class\" is {node.ToJsonString()}, which a {modelType} model does not use; accepted: {string.Join(", ", allowed)}"
            + $"{(hasTokenizerJson ? "" : $" ({PreTrainedTokenizerFast} too where {TokenizerJsonFile} is present)")}. Use the tokenizer files that came with the model.",
            configPath);
    }

    /// <summary>What a WordPiece tokenizer.json fixes for the fast tokenizer.</summary>
    internal sealed record TokenizerJson(IReadOnlyList<string> Tokens, string UnkToken, string ClsToken, int ClsId, string SepToken, int SepId, TokenizerJsonNormalizer? Normalizer);

    /// <summary>The settings of a tokenizer.json BertNormalizer.</summary>
    internal sealed record TokenizerJsonNormalizer(bool Lowercase, bool? StripAccents, bool HandleChineseChars);

    /// <summary>
    /// Reads a WordPiece tokenizer.json: the vocabulary, the model's unk token, the pair template's [CLS] and [SEP]
    /// (TemplateProcessing <c>$CLS A $SEP B:1 $SEP:1</c> or BertProcessing) and, when <paramref name="withNormalizer"/>,
    /// the BertNormalizer settings.
    /// </summary>
    internal static TokenizerJson ReadTokenizerJson(string path, bool withNormalizer)
    {
        var tokens = ReadTokenizerJsonVocabulary(path);
        var root = ReadObject(path)!;
        InvalidInputException Bad(string problem) =>
            new($"'{path}': {problem}. Only BERT's pair template ([CLS] A [SEP] B [SEP], token types 0 then 1) is implemented for BERT-like models.", path);
        var model = (JsonObject)root["model"]!;
        var unk = model["unk_token"] is JsonValue u && u.GetValueKind() == JsonValueKind.String ? u.GetValue<string>() : "[UNK]";

        static string? Str(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        string cls, sep;
        int clsId, sepId;
        switch (root["post_processor"])
        {
            case JsonObject p when Str(p["type"]) == "BertProcessing":
                if (p["cls"] is not JsonArray { Count: 2 } c || Str(c[0]) is not { } cText || c[1] is not JsonValue ci || !ci.TryGetValue(out clsId)
                    || p["sep"] is not JsonArray { Count: 2 } se || Str(se[0]) is not { } sText || se[1] is not JsonValue si || !si.TryGetValue(out sepId))
                    throw Bad("post_processor BertProcessing needs \"cls\" and \"sep\" as [token, id]");
                (cls, sep) = (cText, sText);
                break;
            case JsonObject p when Str(p["type"]) == "TemplateProcessing":
                var pair = p["pair"] as JsonArray;
                string? Special(int i, int type) =>
                    pair![i] is JsonObject o && o["SpecialToken"] is JsonObject t && t["type_id"]?.GetValueKind() == JsonValueKind.Number && t["type_id"]!.GetValue<int>() == type ? Str(t["id"]) : null;
                bool Sequence(int i, string id, int type) =>
                    pair![i] is JsonObject o && o["Sequence"] is JsonObject t && Str(t["id"]) == id && t["type_id"]?.GetValueKind() == JsonValueKind.Number && t["type_id"]!.GetValue<int>() == type;
                if (pair is not { Count: 5 } || Special(0, 0) is not { } first || !Sequence(1, "A", 0) || Special(2, 0) is not { } middle
                    || !Sequence(3, "B", 1) || Special(4, 1) is not { } last || middle != last)
                    throw Bad($"post_processor's pair template is {pair?.ToJsonString() ?? "absent"}");
                int Id(string token) =>
                    p["special_tokens"]?[token]?["ids"] is JsonArray { Count: 1 } ids && ids[0] is JsonValue v && v.TryGetValue<int>(out var id)
                        ? id : throw Bad($"post_processor.special_tokens has no single id for '{token}'");
                (cls, sep, clsId, sepId) = (first, middle, Id(first), Id(middle));
                break;
            case var other:
                throw Bad($"post_processor is {other?.ToJsonString() ?? "null"} (the fast tokenizer would add no [CLS]/[SEP] or other ones)");
        }

        TokenizerJsonNormalizer? normalizer = null;
        if (withNormalizer)
        {
            if (root["normalizer"] is not JsonObject n)
                throw new InvalidInputException($"'{path}': has no normalizer; PreTrainedTokenizerFast would then not clean, lower-case or split Chinese characters, which is not implemented for BERT-like models.", path);
            bool Flag(string key, bool fallback) => n[key] switch
            {
                null => fallback,
                JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
                var o => throw new InvalidInputException($"'{path}': normalizer.{key} must be true or false; got {o.ToJsonString()}.", path),
            };
            bool? strip = n["strip_accents"] switch
            {
                null => null,
                JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
                JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
                var o => throw new InvalidInputException($"'{path}': normalizer.strip_accents must be true, false or null; got {o.ToJsonString()}.", path),
            };
            normalizer = new TokenizerJsonNormalizer(Flag("lowercase", true), strip, Flag("handle_chinese_chars", true));
        }

        return new TokenizerJson(tokens, unk, cls, clsId, sep, sepId, normalizer);
    }

    /// <summary>The template's [CLS]/[SEP] ids must be those tokens' vocabulary ids (the fast tokenizer emits the template's ids).</summary>
    private static void CheckTemplateIds(string path, TokenizerJson json, BertPairEncoder encoder)
    {
        var tokens = encoder.VocabularyTokens();
        foreach (var (token, id) in new[] { (json.ClsToken, json.ClsId), (json.SepToken, json.SepId) })
        {
            if (id < 0 || id >= tokens.Count || tokens[id] != token)
                throw new InvalidInputException($"'{path}': the pair template gives '{token}' the id {id}, but the vocabulary has {(id >= 0 && id < tokens.Count ? $"'{tokens[id]}'" : "no token")} there; restore the model's tokenizer.json.", path);
        }
    }

    /// <summary>The tokens of the WordPiece model in a tokenizer.json, in id order.</summary>
    internal static IReadOnlyList<string> ReadTokenizerJsonVocabulary(string path)
    {
        var root = ReadObject(path)!;
        InvalidInputException Bad(string problem) =>
            new($"'{path}': {problem}. Only BERT WordPiece tokenizers (BertNormalizer, BertPreTokenizer, WordPiece with \"##\" continuations) are read for BERT models.", path);
        if (root["model"] is not JsonObject model) throw Bad("has no \"model\" object");
        var type = model["type"]?.GetValueKind() == JsonValueKind.String ? model["type"]!.GetValue<string>() : "(none)";
        if (type != "WordPiece") throw Bad($"model.type is \"{type}\", not \"WordPiece\"");
        if (model["continuing_subword_prefix"] is { } prefix && (prefix.GetValueKind() != JsonValueKind.String || prefix.GetValue<string>() != "##"))
            throw Bad($"model.continuing_subword_prefix is {prefix.ToJsonString()}, not \"##\"");
        if (model["max_input_chars_per_word"] is { } maxChars && (maxChars.GetValueKind() != JsonValueKind.Number || maxChars.GetValue<double>() != 100))
            throw Bad($"model.max_input_chars_per_word is {maxChars.ToJsonString()}, not 100");
        if (root["normalizer"] is JsonObject normalizer)
        {
            var kind = normalizer["type"]?.ToJsonString();
            if (kind != "\"BertNormalizer\"") throw Bad($"normalizer.type is {kind}, not \"BertNormalizer\"");
            if (normalizer["clean_text"] is { } clean && clean.GetValueKind() == JsonValueKind.False) throw Bad("normalizer.clean_text is false");
        }
        else if (root["normalizer"] is not null && root["normalizer"]!.GetValueKind() != JsonValueKind.Null)
        {
            throw Bad("normalizer is not an object");
        }

        if (root["pre_tokenizer"] is JsonObject pre && pre["type"]?.ToJsonString() != "\"BertPreTokenizer\"")
            throw Bad($"pre_tokenizer.type is {pre["type"]?.ToJsonString()}, not \"BertPreTokenizer\"");
        if (model["vocab"] is not JsonObject vocab || vocab.Count == 0) throw Bad("model.vocab is not a non-empty object of token: id");
        var tokens = new string?[vocab.Count];
        foreach (var (token, node) in vocab)
        {
            if (node is not JsonValue v || !v.TryGetValue<int>(out var id) || id < 0 || id >= tokens.Length || tokens[id] is not null)
                throw Bad($"model.vocab gives '{token}' the id {node?.ToJsonString()}; ids must be 0..{tokens.Length - 1}, each once");
            tokens[id] = token;
        }

        return tokens!;
    }

    /// <summary>Reads a JSON object file; null when the file does not exist.</summary>
    internal static JsonObject? ReadObject(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidInputException($"'{path}' must hold a JSON object.", path);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"'{path}' is not valid JSON ({e.Message}). Restore it from the model's files.", path, inner: e);
        }
    }

    private static string? TokenContent(JsonNode node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonObject o when o["content"] is JsonValue c && c.GetValueKind() == JsonValueKind.String => c.GetValue<string>(),
        _ => null,
    };

    /// <summary>
    /// <c>added_tokens_decoder</c> may only re-state special tokens at their vocabulary ids: a token added beyond
    /// the vocabulary would need its own matching rules (lstrip, rstrip, normalized) that are not implemented.
    /// </summary>
    private static void CheckAddedTokens(JsonObject config, string path, BertPairEncoder encoder, BertEncoderOptions options)
    {
        if (config["added_tokens_decoder"] is not JsonObject added) return;
        var specials = new HashSet<string>(StringComparer.Ordinal) { options.UnkToken, options.SepToken, options.PadToken, options.ClsToken, options.MaskToken };
        specials.UnionWith(options.AdditionalSpecialTokens);
        var tokens = encoder.VocabularyTokens();
        foreach (var (id, node) in added)
        {
            var content = node is null ? null : TokenContent(node);
            if (content is null || !int.TryParse(id, out var index) || index < 0 || index >= tokens.Count || tokens[index] != content || !specials.Contains(content))
                throw new InvalidInputException(
                    $"'{path}': \"added_tokens_decoder\" entry {id} ({node?.ToJsonString()}) is not one of the tokenizer's special tokens at its vocabulary id; added tokens are not implemented.",
                    path);
        }
    }
}
