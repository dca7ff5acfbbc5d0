namespace Rerank.Lucene.Tests.Native;

/// <summary>
/// Tests that use TorchSharp's global state (the global random generator, thread count) run in
/// this one collection, one at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TorchCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "TorchSharp global state";
}
