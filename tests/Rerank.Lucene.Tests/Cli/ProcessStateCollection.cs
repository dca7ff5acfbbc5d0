namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// Tests that change process-wide state the commands read — SEARCHRERANK_* environment variables,
/// Console.In — run in this collection, which xunit runs with no other test in parallel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessStateCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "Process-wide environment and console";
}

/// <summary>Sets an environment variable for the life of the object and restores the old value.</summary>
internal sealed class EnvironmentVariableScope : IDisposable
{
    private readonly string _name;
    private readonly string? _previous;

    public EnvironmentVariableScope(string name, string? value)
    {
        _name = name;
        _previous = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose() => Environment.SetEnvironmentVariable(_name, _previous);
}

/// <summary>Replaces Console.In for the life of the object.</summary>
internal sealed class ConsoleInScope : IDisposable
{
    private readonly TextReader _previous = Console.In;

    public ConsoleInScope(string input) => Console.SetIn(new StringReader(input));

    public ConsoleInScope(TextReader input) => Console.SetIn(input);

    public void Dispose() => Console.SetIn(_previous);
}
