namespace Rerank.Lucene.Tests;

/// <summary>
/// A fact that needs one of the shared datasets; it is skipped, with a message saying
/// how to provide the data, when the dataset is not on this machine.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DatasetFactAttribute : FactAttribute
{
    /// <summary>Requires the named datasets (e.g. "scifact").</summary>
    public DatasetFactAttribute(params string[] datasets)
    {
        var missing = datasets.Where(d => TestPaths.DatasetOrNull(d) is null).ToArray();
        if (missing.Length > 0) Skip = $"{string.Join(", ", missing)}: {TestPaths.NoDatasetsMessage}";
    }
}
