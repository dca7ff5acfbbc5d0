using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rerank.Lucene.Modeling.ModernBert;

/// <summary>
/// ModernBERT's own config.json keys (kept by <see cref="BertConfig"/> among its unknown keys), validated, with
/// transformers' defaults for absent ones.
/// </summary>
internal sealed record ModernBertSettings
{
    /// <summary><c>norm_eps</c> (default 1e-5).</summary>
    public double NormEps { get; init; } = 1e-5;

    /// <summary><c>norm_bias</c>: LayerNorms have a bias (default false).</summary>
    public bool NormBias { get; init; }

    /// <summary><c>attention_bias</c> (default false).</summary>
    public bool AttentionBias { get; init; }

    /// <summary><c>mlp_bias</c> (default false).</summary>
    public bool MlpBias { get; init; }

    /// <summary><c>classifier_bias</c>: the head's dense layer has a bias (default false).</summary>
    public bool ClassifierBias { get; init; }

    /// <summary><c>global_rope_theta</c> (default 160000).</summary>
    public double GlobalRopeTheta { get; init; } = 160000;

    /// <summary><c>local_rope_theta</c> (default 10000; null in the file means the global theta).</summary>
    public double LocalRopeTheta { get; init; } = 10000;

    /// <summary><c>global_attn_every_n_layers</c> (default 3): layer i attends globally when i is a multiple of it.</summary>
    public int GlobalAttnEveryNLayers { get; init; } = 3;

    /// <summary><c>local_attention</c> (default 128): local layers see local_attention / 2 tokens on each side.</summary>
    public int LocalAttention { get; init; } = 128;

    /// <summary><c>classifier_pooling</c>: "cls" (default, the first token) or "mean" (over the attention mask).</summary>
    public string ClassifierPooling { get; init; } = "cls";

    /// <summary>Reads and validates the ModernBERT keys of <paramref name="config"/>.</summary>
    /// <exception cref="InvalidInputException">A key has an unsupported value; the message names it.</exception>
    public static ModernBertSettings From(BertConfig config, string source)
    {
        var keys = config.UnknownKeys;
        InvalidInputException Bad(string key, string problem) => new($"Model config '{source}': '{key}' {problem}.", source);
        double Number(string key, double fallback) => keys[key] switch
        {
            null => fallback,
            JsonValue v when v.GetValueKind() == JsonValueKind.Null => fallback,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
            var other => throw Bad(key, $"must be a number; got {other.ToJsonString()}"),
        };
        bool Flag(string key) => keys[key] switch
        {
            null => false,
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            var other => throw Bad(key, $"must be true or false; got {other.ToJsonString()}"),
        };
        string Text(string key, string fallback) => keys[key] switch
        {
            null => fallback,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            var other => throw Bad(key, $"must be a string; got {other.ToJsonString()}"),
        };

        foreach (var key in new[] { "hidden_activation", "classifier_activation" })
        {
            if (Text(key, "gelu") != "gelu") throw Bad(key, $"is \"{Text(key, "gelu")}\"; only \"gelu\" is implemented");
        }

        var global = Number("global_rope_theta", 160000);
        var settings = new ModernBertSettings
        {
            NormEps = Number("norm_eps", 1e-5),
            NormBias = Flag("norm_bias"),
            AttentionBias = Flag("attention_bias"),
            MlpBias = Flag("mlp_bias"),
            ClassifierBias = Flag("classifier_bias"),
            GlobalRopeTheta = global,
            LocalRopeTheta = keys.ContainsKey("local_rope_theta") ? Number("local_rope_theta", global) : 10000,
            GlobalAttnEveryNLayers = (int)Number("global_attn_every_n_layers", 3),
            LocalAttention = (int)Number("local_attention", 128),
            ClassifierPooling = Text("classifier_pooling", "cls"),
        };
        if (settings.ClassifierPooling is not ("cls" or "mean")) throw Bad("classifier_pooling", $"is \"{settings.ClassifierPooling}\"; use \"cls\" or \"mean\"");
        if (settings.GlobalAttnEveryNLayers < 1) throw Bad("global_attn_every_n_layers", "must be at least 1");
        if (settings.LocalAttention < 2) throw Bad("local_attention", "must be at least 2");
        if (!(settings.NormEps > 0)) throw Bad("norm_eps", $"must be positive; got {settings.NormEps.ToString(CultureInfo.InvariantCulture)}");
        if ((config.HiddenSize / config.NumAttentionHeads) % 2 != 0) throw Bad("hidden_size", "divided by num_attention_heads must be even for rotary positions");
        return settings;
    }
}
