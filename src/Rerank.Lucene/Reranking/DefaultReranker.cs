namespace Rerank.Lucene.Reranking;

/// <summary>
/// Finds the default reranker, a model folder named <c>default-reranker</c> (SearchRerank ships one in
/// its repository as <c>models/default-reranker</c>: a float16 MiniLM-L6 cross-encoder, 45 MB; it is not
/// part of the SearchRerank.Lucene package). Places looked, in order, the first existing folder winning:
/// <list type="number">
/// <item><c>$SEARCHRERANK_MODELS/default-reranker</c>, when the environment variable
/// <see cref="ModelsVariable"/> is set (a models folder shared by several programs);</item>
/// <item><c>models/default-reranker</c> beside the program (<see cref="AppContext.BaseDirectory"/>), where a
/// project that copies the folder to its output puts it;</item>
/// <item><c>models/default-reranker</c> under the working folder (the root of a SearchRerank clone, where
/// the README's commands run). Parent folders are not searched, so a program never picks up a model by
/// surprise.</item>
/// </list>
/// A model passed explicitly (<see cref="Locate(string?)"/>'s argument, <c>--reranker</c>) always comes first.
/// </summary>
/// <example>
/// <code>
/// using var encoder = CrossEncoder.Load(DefaultReranker.Locate());
/// </code>
/// </example>
public static class DefaultReranker
{
    /// <summary>The default model's folder name.</summary>
    public const string FolderName = "default-reranker";

    /// <summary>The environment variable naming a models folder that holds <c>default-reranker/</c>.</summary>
    public const string ModelsVariable = "SEARCHRERANK_MODELS";

    /// <summary>The places looked for the default model, in order (see the class summary), for this process.</summary>
    public static IReadOnlyList<string> SearchPaths() =>
        SearchPaths(Environment.GetEnvironmentVariable(ModelsVariable), AppContext.BaseDirectory, Directory.GetCurrentDirectory());

    /// <summary>The places looked, given the environment variable's value, the program's folder and the working folder.</summary>
    internal static IReadOnlyList<string> SearchPaths(string? modelsVariable, string programFolder, string workingFolder)
    {
        var paths = new List<string>();
        if (!string.IsNullOrWhiteSpace(modelsVariable)) paths.Add(Path.Combine(Path.GetFullPath(modelsVariable), FolderName));
        paths.Add(Path.Combine(Path.GetFullPath(programFolder), "models", FolderName));
        paths.Add(Path.Combine(Path.GetFullPath(workingFolder), "models", FolderName));
        return paths.Select(p => p.TrimEnd(Path.DirectorySeparatorChar)).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The first of <see cref="SearchPaths()"/> that exists, or null when none does.</summary>
    public static string? Find() => Find(SearchPaths());

    /// <summary>The first of <paramref name="paths"/> that exists, or null.</summary>
    internal static string? Find(IEnumerable<string> paths) => paths.FirstOrDefault(Directory.Exists);

    /// <summary>
    /// The model folder to load: <paramref name="explicitPath"/> when given, else the default model found by
    /// <see cref="Find()"/>.
    /// </summary>
    /// <param name="explicitPath">A model folder chosen by the caller (e.g. from a <c>--reranker</c> option), or null.</param>
    /// <exception cref="InvalidInputException">The explicit folder does not exist, or no default model was found;
    /// the message names every place looked and how to put the model there.</exception>
    public static string Locate(string? explicitPath = null)
    {
        if (explicitPath is not null)
        {
            if (Directory.Exists(explicitPath)) return explicitPath;
            throw new InvalidInputException(
                $"Model folder '{explicitPath}' does not exist. Pass a Hugging Face cross-encoder folder: config.json, the weights (model.safetensors, sharded safetensors or pytorch_model.bin) and the tokenizer (vocab.txt or tokenizer.json), e.g. one downloaded from the Hub or written by rerank-train.",
                explicitPath);
        }

        var paths = SearchPaths();
        return Find(paths) ?? throw new InvalidInputException(
            NotFoundMessage(paths, !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(ModelsVariable))));
    }

    /// <summary>
    /// "No default reranker found. Looked for a model folder at, in order: A, B (SEARCHRERANK_MODELS is not set).": what was looked for
    /// and where in this process, without a fix, for a program to follow with its own ways (a command-line tool names its flags;
    /// <see cref="Locate(string?)"/>'s message names this library's).
    /// </summary>
    public static string NotFoundSummary() =>
        NotFoundSummary(SearchPaths(), !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(ModelsVariable)));

    /// <summary><see cref="NotFoundSummary()"/> for the places <paramref name="paths"/>, with or without the variable set.</summary>
    internal static string NotFoundSummary(IReadOnlyList<string> paths, bool variableSet) =>
        "No default reranker found. Looked for a model folder at, in order: " + string.Join(", ", paths)
        + (variableSet ? "" : $" ({ModelsVariable} is not set)") + ".";

    /// <summary>The message when no default model exists in any of <paramref name="paths"/>: <see cref="NotFoundSummary()"/> and the library's ways.</summary>
    internal static string NotFoundMessage(IReadOnlyList<string> paths, bool variableSet) =>
        NotFoundSummary(paths, variableSet) + " "
        + "Put the default model there: copy models/default-reranker from the SearchRerank repository (45 MB) into a "
        + "models/ folder beside your program (e.g. a None item with CopyToOutputDirectory in your project file) or under "
        + $"the working folder, or set {ModelsVariable} to a folder that contains default-reranker/. Any other cross-encoder "
        + "folder (config.json, model.safetensors or pytorch_model.bin, vocab.txt) can be passed to CrossEncoder.Load instead.";
}
