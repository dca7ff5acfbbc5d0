using Rerank.Lucene;
using Rerank.Lucene.Reranking;
using Search.Host.Hosting;

namespace Search.Host.Cli;

/// <summary>
/// The default reranker for <c>demo</c> and <c>search</c> when no <c>--reranker</c> is given: found by the
/// library's <see cref="DefaultReranker"/> (<c>$SEARCHRERANK_MODELS/default-reranker</c>, then
/// <c>models/default-reranker</c> beside the program, then under the working folder), and loaded with a
/// message that says how to rebuild or restore it when it is damaged.
/// </summary>
internal static class DefaultRerankerLoader
{
    /// <summary>What to do when the default model is missing or damaged.</summary>
    public const string RebuildHint =
        "Rebuild it with eval/default-reranker/build.sh (rerank-train on the public collections' train splits; see models/default-reranker/README.md), " +
        "restore it with `git checkout -- models/default-reranker`, or pass --reranker DIR.";

    /// <summary>
    /// What a command says when it looked for the default reranker and found none (no --reranker, no configured model, no
    /// --no-rerank): the places looked (<see cref="DefaultReranker.NotFoundSummary()"/>), that <paramref name="what"/> runs without a
    /// reranker, and this program's ways: --reranker DIR, the <see cref="DefaultReranker.ModelsVariable"/> variable, or --no-rerank.
    /// </summary>
    /// <param name="what">What runs without a reranker, e.g. "Searching with the first stage only".</param>
    public static string NotFoundNote(string what) =>
        $"{DefaultReranker.NotFoundSummary()} {what}. To rerank, pass --reranker DIR (a cross-encoder folder) or set {DefaultReranker.ModelsVariable} "
        + $"to a folder that contains {DefaultReranker.FolderName}/; --no-rerank asks for the first stage alone (and drops this note).";

    /// <summary>
    /// Loads <paramref name="model"/>; when it is the default model (no model configured) and it
    /// cannot be loaded for a fault in its folder, the error says how to rebuild or restore it.
    /// </summary>
    public static CrossEncoder Load(string model, SearchHostOptions options)
    {
        try
        {
            return CrossEncoder.Load(model, RerankingOptions.ToEncoderOptions(options.Reranker));
        }
        catch (InvalidInputException e) when (options.Reranker.Model is null && InModelFolder(e.Path, model))
        {
            throw new InvalidInputException($"The default reranker at '{model}' cannot be loaded: {e.Message} {RebuildHint}", model, inner: e);
        }
    }

    // Whether an error's path is the model folder or a file in it: the model is then missing or damaged, and rebuilding or
    // restoring it helps. Other refusals (libtorch absent, flags that cannot run together) are not the model's fault.
    private static bool InModelFolder(string? path, string model)
    {
        if (path is null) return false;
        var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(model));
        var full = Path.GetFullPath(path);
        return full == folder || full.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>
    /// The settings stored beside <paramref name="model"/> (<see cref="RerankerSettings.Read"/>; empty when it has no
    /// <c>searchrerank.json</c>); when it is the default model and the file is not valid, the error says how to rebuild or restore it.
    /// </summary>
    /// <exception cref="InvalidInputException">The settings file exists but is not valid.</exception>
    public static RerankerSettings Settings(string model, SearchHostOptions options)
    {
        try
        {
            return RerankerSettings.Read(model);
        }
        catch (InvalidInputException e) when (options.Reranker.Model is null)
        {
            throw new InvalidInputException($"The default reranker at '{model}' cannot be loaded: {e.Message} {RebuildHint}", model, inner: e);
        }
    }
}
