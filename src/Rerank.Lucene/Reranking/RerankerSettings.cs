using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rerank.Lucene.Reranking;

/// <summary>
/// Reranking settings stored beside a model in <c>searchrerank.json</c>: today the interpolation weight
/// that the trainer tuned on dev queries. The file is optional; a model without it has no tuned weight.
/// </summary>
/// <param name="InterpolationWeight">Weight of the cross-encoder score in <see cref="ScoreMode.Interpolate"/> (0 to 1), or null.</param>
/// <param name="TunedOn">What the weight was tuned on (e.g. "scifact dev: 81 queries"), for people reading the file.</param>
/// <param name="MaxLength">The pair length the model was trained with; the default max length when scoring with it.</param>
/// <param name="ScoreMode">The score mode that ranked best on dev ("replace" or "interpolate"); used when the caller sets none.</param>
/// <param name="FirstStageWeights">Interpolation weights tuned for a particular first stage ("bm25", "dense", "hybrid"):
/// the fused scores of a hybrid stage are on another scale than BM25's, so a weight tuned with BM25 candidates
/// need not suit them. <see cref="InterpolationWeight"/> serves stages not listed here.</param>
/// <param name="Passages">How documents are split into passages and scored (first, max or sum; window and stride),
/// chosen on dev; null means whole documents (<see cref="PassageOptions.WholeDocument"/>).</param>
/// <param name="Fusion">The hybrid first stage's fusion that <c>rerank-train</c> tuned with this model on one index (null: the
/// library's default, <see cref="Retrieval.HybridOptions.DefaultDenseWeight"/>); search-host uses it when no --fusion or
/// --dense-weight is given, and only over vectors of the embedder it was tuned with.</param>
public sealed record RerankerSettings(
    [property: JsonPropertyName("interpolation_weight")] double? InterpolationWeight = null,
    [property: JsonPropertyName("tuned_on")] string? TunedOn = null,
    [property: JsonPropertyName("max_length")] int? MaxLength = null,
    [property: JsonPropertyName("score_mode")] string? ScoreMode = null,
    [property: JsonPropertyName("first_stage_weights")] IReadOnlyDictionary<string, double>? FirstStageWeights = null,
    [property: JsonPropertyName("passages")] PassageOptions? Passages = null,
    [property: JsonPropertyName("fusion")] FusionSettings? Fusion = null)
{
    /// <summary>The file name inside a model folder.</summary>
    public const string FileName = "searchrerank.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter<PassageMode>(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    /// <summary>Reads the settings of a model folder; an absent file gives empty settings.</summary>
    /// <exception cref="InvalidInputException">The file exists but is not valid.</exception>
    public static RerankerSettings Read(string modelPath)
    {
        var path = Path.Combine(modelPath, FileName);
        if (!File.Exists(path)) return new RerankerSettings();
        RerankerSettings? settings;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidInputException(
                    $"{path}: expected a JSON object like {{\"interpolation_weight\": 0.6}}, found {FusionSettings.Kind(document.RootElement)}. Fix or delete the file.", path);
            // A misspelt key would leave its setting unapplied without a word: every key must be known.
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                RequireKnownKeys(document.RootElement, TopLevelKeys, "", path);
                // Each value of the kind its setting reads, named with its key, rather than the converter's text after the fact.
                RequireKinds(document.RootElement, path);
                if (document.RootElement.TryGetProperty("passages", out var passages) && passages.ValueKind == JsonValueKind.Object)
                {
                    RequireKnownKeys(passages, PassageKeys, "passages.", path);
                    // A window, stride or selection without mode max or sum would be ignored: the whole document is read.
                    var splits = passages.TryGetProperty("mode", out var mode) && mode.ValueKind == JsonValueKind.String && mode.GetString() is "max" or "sum";
                    var ignored = PassageKeys.Skip(1).Where(k => passages.TryGetProperty(k, out _)).ToList();
                    if (!splits && ignored.Count > 0)
                        throw new InvalidInputException(
                            $"{path}: passages.{string.Join(", passages.", ignored)} {(ignored.Count == 1 ? "applies" : "apply")} to mode max or sum, and the mode is first "
                            + "(the whole document). Set \"mode\" to \"max\" (or \"sum\"), or remove them.", path);
                }
            }
            // The fusion object is checked field by field first: a missing weight must not read as 0, nor a typo pass unnoticed.
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("fusion", out var fusion))
                FusionSettings.CheckShape(fusion, path);
            settings = document.Deserialize<RerankerSettings>(Json);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: expected a JSON object like {{\"interpolation_weight\": 0.6}}, found invalid JSON ({e.Message}). Fix or delete the file.", path, inner: e);
        }
        if (settings is null || settings.InterpolationWeight is < 0 or > 1 || (settings.FirstStageWeights?.Values.Any(w => w is < 0 or > 1 || double.IsNaN(w)) ?? false))
            throw new InvalidInputException($"{path}: interpolation_weight and first_stage_weights must be between 0 and 1. Fix or delete the file.", path);
        if (settings.ScoreMode is not (null or "replace" or "interpolate"))
            throw new InvalidInputException($"{path}: score_mode must be \"replace\" or \"interpolate\", found \"{settings.ScoreMode}\". Fix or delete the file.", path);
        if (settings.ScoreMode == "interpolate" && settings.InterpolationWeight is null)
            throw new InvalidInputException($"{path}: score_mode \"interpolate\" needs an interpolation_weight. Add one or delete the file.", path);
        settings.Passages?.Validated($"{path}: passages");
        settings.Fusion?.Validate(path);
        return settings;
    }

    /// <summary>
    /// Refuses a value of the wrong JSON kind for its setting (<c>"passages": {"select": "x"}</c>, <c>"max_length": 1.5</c>), naming the
    /// file, the key, what it must be and what was found. null is accepted where the setting is optional (it means "not set").
    /// The fusion object is checked by <see cref="FusionSettings.CheckShape"/>.
    /// </summary>
    /// <exception cref="InvalidInputException">The first value of the wrong kind.</exception>
    private static void RequireKinds(JsonElement root, string path)
    {
        void Require(JsonElement parent, string key, string name, bool nullable, string expected, Func<JsonElement, bool> fits)
        {
            if (!parent.TryGetProperty(key, out var value) || (nullable && value.ValueKind == JsonValueKind.Null) || fits(value)) return;
            throw new InvalidInputException($"{path}: {name} must be {expected}, found {FusionSettings.Kind(value)}. Fix or delete the file.", path);
        }
        static bool Number(JsonElement v) => v.ValueKind == JsonValueKind.Number;
        static bool WholeNumber(JsonElement v) => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out _);
        static bool Text(JsonElement v) => v.ValueKind == JsonValueKind.String;
        Require(root, "interpolation_weight", "interpolation_weight", true, "a number from 0 to 1", Number);
        Require(root, "tuned_on", "tuned_on", true, "a string", Text);
        Require(root, "max_length", "max_length", true, "a whole number (tokens per pair)", WholeNumber);
        Require(root, "score_mode", "score_mode", true, "\"replace\" or \"interpolate\"", Text);
        Require(root, "first_stage_weights", "first_stage_weights", true, "an object like {\"hybrid\": 0.2} (a weight from 0 to 1 per first stage)",
            v => v.ValueKind == JsonValueKind.Object);
        if (root.TryGetProperty("first_stage_weights", out var weights) && weights.ValueKind == JsonValueKind.Object)
            foreach (var stage in weights.EnumerateObject())
                Require(weights, stage.Name, $"first_stage_weights.{stage.Name}", false, "a number from 0 to 1", Number);
        Require(root, "passages", "passages", true, "an object like {\"mode\": \"max\", \"words\": 64, \"stride\": 32}", v => v.ValueKind == JsonValueKind.Object);
        if (root.TryGetProperty("passages", out var passages) && passages.ValueKind == JsonValueKind.Object)
        {
            Require(passages, "mode", "passages.mode", false, "\"first\", \"max\" or \"sum\"", v => v.ValueKind == JsonValueKind.String && v.GetString()!.ToLowerInvariant() is "first" or "max" or "sum");
            Require(passages, "words", "passages.words", false, "a whole number (words per window)", WholeNumber);
            Require(passages, "stride", "passages.stride", false, "a whole number (words between window starts)", WholeNumber);
            Require(passages, "select", "passages.select", true, "a whole number (windows scored per document)", WholeNumber);
        }
    }

    private static readonly string[] TopLevelKeys = ["interpolation_weight", "tuned_on", "max_length", "score_mode", "first_stage_weights", "passages", "fusion"];
    private static readonly string[] PassageKeys = ["mode", "words", "stride", "select"];

    private static void RequireKnownKeys(JsonElement element, string[] known, string prefix, string path)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
                throw new InvalidInputException(
                    $"{path}: unknown setting \"{prefix}{property.Name}\" (known: {string.Join(", ", known)}). Fix its name or remove it.", path);
        }
    }

    /// <summary>The interpolation weight for the first stage named <paramref name="firstStage"/>: its own tuned weight, else the general one, else null.</summary>
    public double? WeightFor(string firstStage) =>
        FirstStageWeights is { } weights && weights.TryGetValue(firstStage, out var w) ? w : InterpolationWeight;

    /// <summary>The recommended mode as an enum, or null when the file names none.</summary>
    [JsonIgnore]
    public Reranking.ScoreMode? RecommendedMode => ScoreMode switch
    {
        "replace" => Reranking.ScoreMode.Replace,
        "interpolate" => Reranking.ScoreMode.Interpolate,
        _ => null,
    };

    /// <summary>Writes the settings into a model folder.</summary>
    public void Write(string modelPath) =>
        File.WriteAllText(Path.Combine(modelPath, FileName), JsonSerializer.Serialize(this, Json) + "\n");
}

/// <summary>
/// A hybrid fusion tuned for a model on one index's queries (<c>fusion</c> in <c>searchrerank.json</c>): weighted min-max
/// (<see cref="Retrieval.Fusion.WeightedMinMax"/>) with its dense weight, and the embedder whose vectors it was tuned over
/// (another embedder's scores are on another scale, so the weight does not carry over).
/// </summary>
/// <param name="Method">"minmax", the only method with a weight to tune.</param>
/// <param name="DenseWeight">Dense weight w, 0 to 1 (BM25 gets 1 - w).</param>
/// <param name="Embedder">The embedder's model name (<see cref="Embedding.EmbeddingInfo.Model"/>), for people and messages.</param>
/// <param name="EmbedderFingerprint">Its weights' fingerprint (<see cref="Embedding.EmbeddingInfo.Fingerprint"/>): the identity checked.</param>
/// <param name="TunedOn">What it was tuned on, for people reading the file.</param>
/// <param name="EmbedderVectors">How those weights made the vectors (<see cref="VectorsOf"/>: pooling, normalisation, max length,
/// passages), checked with the fingerprint: the same weights with other pooling score on another scale too. Null in files
/// written before it was recorded (only the fingerprint is checked then).</param>
public sealed record FusionSettings(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("dense_weight")] double DenseWeight,
    [property: JsonPropertyName("embedder")] string Embedder,
    [property: JsonPropertyName("embedder_fingerprint")] string EmbedderFingerprint,
    [property: JsonPropertyName("tuned_on")] string? TunedOn = null,
    [property: JsonPropertyName("embedder_vectors"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EmbedderVectors = null)
{
    /// <summary>
    /// How an index's vectors were made besides the weights, in words, e.g. "mean pooling, normalised, max 256 tokens, max over
    /// 128-word passages (stride 64)": what <see cref="EmbedderVectors"/> records and <see cref="Matches"/> compares.
    /// </summary>
    public static string VectorsOf(Embedding.EmbeddingInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{info.Pooling} pooling, {(info.Normalized ? "normalised" : "not normalised")}, max {info.MaxLength} tokens, ")
            + (info.Passages is { } p
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.Score} over {p.Words}-word passages (stride {p.Stride})")
                : "whole documents");
    }

    /// <summary>Whether an index's vectors are those this fusion was tuned over: the same weights (fingerprint) made them the same way
    /// (<see cref="EmbedderVectors"/>, when recorded).</summary>
    public bool Matches(Embedding.EmbeddingInfo info) =>
        EmbedderFingerprint == info.Fingerprint && (EmbedderVectors is null || EmbedderVectors == VectorsOf(info));

    /// <summary>The vectors this fusion was tuned over, for messages: "MODEL (FINGERPRINT; SETUP)".</summary>
    public string DescribeVectors() => $"{Embedder} ({EmbedderFingerprint}{(EmbedderVectors is null ? "" : "; " + EmbedderVectors)})";

    /// <summary>An index's vectors in the words of <see cref="DescribeVectors()"/>.</summary>
    public static string DescribeVectors(Embedding.EmbeddingInfo info) => $"{info.Model} ({info.Fingerprint}; {VectorsOf(info)})";

    /// <summary>The one method stored: weighted min-max.</summary>
    public const string MinMax = "minmax";

    /// <summary>The hybrid options these settings ask for, bound to their embedder (<see cref="Retrieval.HybridOptions.TunedWith"/>).</summary>
    public Retrieval.HybridOptions ToHybridOptions() => new()
    {
        Method = Retrieval.FusionMethod.WeightedMinMax,
        DenseWeight = DenseWeight,
        TunedWith = this,
    };

    // How to mend any of it: the rest of the file (the interpolation weights) is still good.
    private const string Fix = "Fix it (rerank-train writes it), or delete the \"fusion\" key to use the default fusion.";

    /// <summary>The JSON names of the fields, in the order written.</summary>
    private static readonly string[] Fields = ["method", "dense_weight", "embedder", "embedder_fingerprint", "tuned_on", "embedder_vectors"];

    /// <summary>
    /// Checks the JSON of a <c>fusion</c> object before it is read: an object, every field but tuned_on and embedder_vectors present, numbers and
    /// strings where they belong, no other keys (a misspelt dense_weight would otherwise read as a weight of 0).
    /// </summary>
    /// <exception cref="InvalidInputException">What is wrong, naming the file and the field.</exception>
    internal static void CheckShape(JsonElement fusion, string path)
    {
        if (fusion.ValueKind != JsonValueKind.Object)
            throw new InvalidInputException($"{path}: fusion must be an object like {{\"method\": \"minmax\", \"dense_weight\": 0.45, \"embedder\": ..., \"embedder_fingerprint\": ...}}, found {Kind(fusion)}. {Fix}", path);
        foreach (var property in fusion.EnumerateObject())
            if (!Fields.Contains(property.Name, StringComparer.Ordinal))
                throw new InvalidInputException($"{path}: fusion has an unknown key \"{property.Name}\"; its keys are {string.Join(", ", Fields)}. {Fix}", path);
        foreach (var name in Fields)
        {
            var present = fusion.TryGetProperty(name, out var value);
            if (!present && name is "tuned_on" or "embedder_vectors") continue;
            if (!present)
                throw new InvalidInputException($"{path}: fusion.{name} is missing. {Fix}", path);
            var expected = name == "dense_weight" ? JsonValueKind.Number : JsonValueKind.String;
            if (value.ValueKind != expected && !(name is "tuned_on" or "embedder_vectors" && value.ValueKind == JsonValueKind.Null))
                throw new InvalidInputException($"{path}: fusion.{name} must be a {(expected == JsonValueKind.Number ? "number" : "string")}, found {Kind(value)}. {Fix}", path);
        }
    }

    // "an array", or the value itself for a string or a number ("the string \"0.5\""), which a person can find in the file.
    internal static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        _ => JsonKinds.Describe(value.ValueKind),
    };

    /// <exception cref="InvalidInputException">A method other than minmax, a weight outside [0, 1], or no embedder fingerprint.</exception>
    internal void Validate(string path)
    {
        if (Method != MinMax)
            throw new InvalidInputException($"{path}: fusion.method must be \"{MinMax}\", found \"{Method}\". {Fix}", path);
        if (DenseWeight is < 0 or > 1 || double.IsNaN(DenseWeight))
            throw new InvalidInputException($"{path}: fusion.dense_weight must be between 0 and 1, found {DenseWeight}. {Fix}", path);
        if (string.IsNullOrWhiteSpace(EmbedderFingerprint) || string.IsNullOrWhiteSpace(Embedder))
            throw new InvalidInputException($"{path}: fusion needs embedder and embedder_fingerprint (the index vectors it was tuned over). {Fix}", path);
    }
}
