using System.Text.Json.Serialization;

namespace Rerank.Lucene.Reranking;

/// <summary>
/// How documents are split into passages for the cross-encoder: windows of <see cref="Words"/>
/// whitespace-separated words of the body, starting every <see cref="Stride"/> words, each passage prefixed
/// with the document's title (as in BERT-MaxP, Dai and Callan 2019, which used 150-word windows with a
/// 75-word stride). Stored in a model's <c>searchrerank.json</c> as <c>"passages"</c> when chosen on dev.
/// </summary>
/// <param name="Mode">First (whole document, truncated by the model), Max or Sum over passages.</param>
/// <param name="Words">Words per window (at least 1); ignored by <see cref="PassageMode.First"/>.</param>
/// <param name="Stride">Words between window starts (1 to <see cref="Words"/>); ignored by <see cref="PassageMode.First"/>.</param>
/// <param name="Select">
/// Null: the cross-encoder scores every window. n: only each document's n windows that match the query best by BM25
/// (<see cref="PassageSelection"/>), so a document costs at most n pairs and its best-matching part is read wherever it is
/// (a cheap selector before the expensive model, as in Hofstätter et al., "Intra-Document Cascading", SIGIR 2021).
/// Ignored by <see cref="PassageMode.First"/>.
/// </param>
public sealed record PassageOptions(
    [property: JsonPropertyName("mode")] PassageMode Mode = PassageMode.First,
    [property: JsonPropertyName("words")] int Words = PassageOptions.DefaultWords,
    [property: JsonPropertyName("stride")] int Stride = PassageOptions.DefaultStride,
    [property: JsonPropertyName("select"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Select = null)
{
    /// <summary>Default window: 64 words, which with a short query fits the default reranker's 128 tokens on most text.</summary>
    public const int DefaultWords = 64;

    /// <summary>Default stride: half a window, so every sentence of a long document is read whole in some window.</summary>
    public const int DefaultStride = 32;

    /// <summary>Whole documents, truncated by the model: one pair per document (the behaviour without passages).</summary>
    public static PassageOptions WholeDocument { get; } = new();

    /// <summary>Checks the window and stride; <paramref name="source"/> names where they came from in the message.</summary>
    /// <exception cref="InvalidInputException">Words below 1, or stride outside 1..words.</exception>
    public PassageOptions Validated(string source)
    {
        if (!Enum.IsDefined(Mode))
            throw new InvalidInputException($"{source}: passage mode must be first, max or sum.");
        if (Mode == PassageMode.First)
        {
            if (Select is not null)
                throw new InvalidInputException($"{source}: selecting passages applies to mode max or sum, and the mode is first (the whole document). Set the mode to max, or drop the selection.");
            return this;
        }
        if (Words < 1)
            throw new InvalidInputException($"{source}: passage words must be at least 1; got {Words}. Use e.g. {DefaultWords}.");
        if (Stride < 1 || Stride > Words)
            throw new InvalidInputException($"{source}: passage stride must be between 1 and the passage words ({Words}); got {Stride}. Use e.g. {Words / 2 + Words % 2}.");
        if (Select is < 1)
            throw new InvalidInputException($"{source}: the passages selected per document must be at least 1; got {Select}. Use 1, or leave it out to score every passage.");
        return this;
    }

    /// <summary>
    /// The texts the cross-encoder reads for one document, in order: the whole document for
    /// <see cref="PassageMode.First"/>; otherwise the title followed by each window of the body's words
    /// (joined by single spaces). Windows start at 0, <see cref="Stride"/>, 2·<see cref="Stride"/>, ... and the
    /// last one is the first that reaches the body's end, so a body of n words gives
    /// 1 + max(0, ceil((n - Words) / Stride)) passages and no word is left out. An empty body gives the title alone.
    /// </summary>
    /// <example>Words 4, stride 2, body "a b c d e f g": "T a b c d", "T c d e f", "T e f g".</example>
    /// <exception cref="InvalidInputException">The window or stride is out of range (<see cref="Validated"/>).</exception>
    public IReadOnlyList<string> Split(string? title, string? text)
    {
        if (Mode == PassageMode.First) return [DocumentText.Join(title, text)];
        Validated("passages");
        var words = (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length <= Words) return [DocumentText.Join(title, string.Join(' ', words))];
        var passages = new List<string>();
        for (var start = 0; ; start += Stride)
        {
            var end = (int)Math.Min(words.Length, (long)start + Words);
            passages.Add(DocumentText.Join(title, string.Join(' ', words, start, end - start)));
            if (end == words.Length) break;
        }
        return passages;
    }

    /// <summary>The document score from its passage scores (in <see cref="Split"/>'s order): the only one, the maximum or the sum.</summary>
    public double Aggregate(ReadOnlySpan<float> passageScores)
    {
        if (passageScores.Length == 0) throw new ArgumentException("A document has at least one passage.", nameof(passageScores));
        switch (Mode)
        {
            case PassageMode.Sum:
                double sum = 0;
                foreach (var s in passageScores) sum += s;
                return sum;
            case PassageMode.Max:
                var max = passageScores[0];
                foreach (var s in passageScores) max = Math.Max(max, s);
                return max;
            default:
                return passageScores[0];
        }
    }

    /// <summary>
    /// For messages and logs, e.g. "max over 64-word passages, stride 32", "max over the 1 64-word passage (stride 32) per
    /// document that best matches the query by BM25" or "first (whole document, truncated by the model)".
    /// </summary>
    public override string ToString() => Mode == PassageMode.First
        ? "first (whole document, truncated by the model)"
        : Select is { } n
            ? $"{Mode.ToString().ToLowerInvariant()} over the {(n == 1 ? "1 " + Words + "-word passage" : n + " " + Words + "-word passages")} (stride {Stride}) per document that best match{(n == 1 ? "es" : "")} the query by BM25"
            : $"{Mode.ToString().ToLowerInvariant()} over {Words}-word passages, stride {Stride}";
}
