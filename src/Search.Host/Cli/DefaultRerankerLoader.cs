using Rerank.Lucene;
using Rerank.Lucene.Reranking;
using Search.Host.Hosting;

namespace Search.Host.Cli;

/// <summary>
/// Finds the project's default reranker, <c>models/default-reranker</c> under the working folder
/// (a clone's root, where the README's commands run). Only that folder is looked at, so a program
/// started elsewhere never picks up a model by surprise.
/// </summary>
internal static class DefaultReranker
{
    /// <summary>The folder name, relative to the repository root.</summary>
    public static readonly string RelativePath = Path.Combine("models", "default-reranker");

    /// <summary>The default model folder, or null when there is none.</summary>
    public static string? Find(string? startFolder = null)
    {
        var candidate = Path.Combine(startFolder ?? Directory.GetCurrentDirectory(), RelativePath);
        return Directory.Exists(candidate) ? candidate : null;
    }

    /// <summary>What to do when the default model is missing or damaged.</summary>
    public const string RebuildHint =
        "Rebuild it with eval/default-reranker/build.sh (rerank-train on the public collections' train splits; see models/default-reranker/README.md), " +
        "restore it with `git checkout -- models/default-reranker`, or pass --reranker DIR.";

    /// <summary>
    /// Loads <paramref name="model"/>; when it is the default model (no model configured) and it
    /// cannot be loaded, the error says how to rebuild or restore it.
    /// </summary>
    public static CrossEncoder Load(string model, SearchHostOptions options)
    {
        try
        {
            return CrossEncoder.Load(model, RerankingOptions.ToEncoderOptions(options.Reranker));
        }
        catch (InvalidInputException e) when (options.Reranker.Model is null)
        {
            throw new InvalidInputException($"The default reranker at '{model}' cannot be loaded: {e.Message} {RebuildHint}", model, inner: e);
        }
    }
}
