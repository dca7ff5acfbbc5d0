namespace Rerank.Lucene.Modeling;

/// <summary>Operations on Hugging Face model folders as a whole.</summary>
public static class ModelFolders
{
    /// <summary>
    /// Copies a model folder, storing <c>model.safetensors</c> in float16 (half the size; scores move by
    /// about 1e-4). Every other file is copied unchanged. The copy is written to a temporary sibling
    /// folder and renamed into place, so a failure leaves no partial folder.
    /// </summary>
    /// <exception cref="InvalidInputException">The source has no model.safetensors, or the target exists.</exception>
    public static void ConvertToFloat16(string source, string target)
    {
        var weights = Path.Combine(source, BertModelFolder.SafetensorsFile);
        if (!File.Exists(weights))
            throw new InvalidInputException($"'{source}' has no {BertModelFolder.SafetensorsFile}. Pass a model folder written by rerank-train or in Hugging Face layout.", source);
        if (Directory.Exists(target) || File.Exists(target))
            throw new InvalidInputException($"'{target}' already exists. Choose another --output folder or remove it first.", target);

        var full = Path.GetFullPath(target);
        var staging = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var file in Directory.GetFiles(source))
            {
                var name = Path.GetFileName(file);
                if (name == BertModelFolder.SafetensorsFile) continue;
                File.Copy(file, Path.Combine(staging, name));
            }
            SafeTensors.Write(Path.Combine(staging, BertModelFolder.SafetensorsFile), SafeTensors.Read(weights), SafeTensorsDType.F16);
            Directory.Move(staging, full);
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }
}
