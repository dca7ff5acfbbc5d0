using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rerank.Lucene.Tokenization;

/// <summary>
/// The WordPiece tokenizer of a Hugging Face BERT folder, read as <c>AutoTokenizer</c> (the fast
/// <c>BertTokenizerFast</c> that sentence-transformers' CrossEncoder runs) reads it:
/// <list type="bullet">
/// <item>the vocabulary from <c>vocab.txt</c>, or, without it, from the WordPiece model inside <c>tokenizer.json</c>;</item>
/// <item>the settings from <c>tokenizer_config.json</c>, with Hugging Face's defaults for absent keys
/// (<c>do_lower_case</c> true, <c>strip_accents</c> null = follows lower-casing, <c>tokenize_chinese_chars</c> true):
/// <c>BertTokenizerFast</c> rewrites the normalizer of <c>tokenizer.json</c> to these values, so they win over it;</item>
/// <item>the special tokens from <c>tokenizer_config.json</c>, overridden by <c>special_tokens_map.json</c>.</item>
/// </list>
/// Settings that would change tokenization in a way this library does not implement are refused by name
/// (<see cref="Read"/>); keys that only affect decoding or Python class selection are accepted.
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
    public static (BertPairEncoder Encoder, int? ModelMaxLength) Read(string folder, int maxPositions)
    {
        var configPath = Path.Combine(folder, TokenizerConfigFile);
        var config = ReadObject(configPath) ?? new JsonObject();
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
        if (File.Exists(vocabPath))
        {
            encoder = new BertPairEncoder(vocabPath, options);
        }
        else
        {
            var jsonPath = Path.Combine(folder, TokenizerJsonFile);
            if (!File.Exists(jsonPath))
                throw new InvalidInputException(
                    $"Model folder '{folder}' has neither {VocabFile} nor {TokenizerJsonFile}: the tokenizer's vocabulary is needed to encode pairs. Copy the base model's vocab.txt or tokenizer.json into the folder.",
                    folder);
            encoder = BertPairEncoder.FromTokens(ReadTokenizerJsonVocabulary(jsonPath), options);
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
