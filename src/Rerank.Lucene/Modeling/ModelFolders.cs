using Rerank.Lucene.Output;

namespace Rerank.Lucene.Modeling;

/// <summary>Operations on Hugging Face model folders as a whole.</summary>
public static class ModelFolders
{
    /// <summary>
    /// Copies a model folder, storing <c>model.safetensors</c> in float16 (half the size; scores move by
    /// about 1e-4). Every other file is copied unchanged. The copy is written to a temporary sibling
    /// folder and renamed into place (<see cref="AtomicFolder"/>), so a failure leaves no partial folder.
    /// </summary>
    /// <param name="source">A model folder with <c>model.safetensors</c>.</param>
    /// <param name="target">The folder to write; replaced only when it is a model folder and <paramref name="overwrite"/> is true.</param>
    /// <param name="overwrite">Replace an existing model folder (never anything else; see <see cref="OutputTarget"/>).</param>
    /// <exception cref="InvalidInputException">The source has no model.safetensors, the target is the source, or
    /// the target may not be replaced.</exception>
    public static void ConvertToFloat16(string source, string target, bool overwrite = false)
    {
        var weights = Path.Combine(source, BertModelFolder.SafetensorsFile);
        if (!File.Exists(weights))
            throw new InvalidInputException($"'{source}' has no {BertModelFolder.SafetensorsFile}. Pass a model folder written by rerank-train or in Hugging Face layout.", source);
        if (string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(source)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(target)), StringComparison.Ordinal))
            throw new InvalidInputException($"--output '{target}' is the input folder; write the float16 copy to another folder.", target);
        OutputTarget.CheckFolder(target, OutputKind.ModelFolder, overwrite);

        AtomicFolder.Write(target, staging =>
        {
            foreach (var file in Directory.GetFiles(source))
            {
                var name = Path.GetFileName(file);
                if (name == BertModelFolder.SafetensorsFile) continue;
                File.Copy(file, Path.Combine(staging, name));
            }
            SafeTensors.Write(Path.Combine(staging, BertModelFolder.SafetensorsFile), SafeTensors.Read(weights), SafeTensorsDType.F16);
        }, () => OutputTarget.CheckFolder(target, OutputKind.ModelFolder, overwrite));
    }
}
