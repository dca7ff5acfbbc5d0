using System.CommandLine;
using Rerank.Training.Cli;
using Search.Host.Cli;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>What one in-process run of a command line gave: exit code, standard output, standard error.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    /// <summary>Standard output split into lines, without the final empty one.</summary>
    public string[] OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>For assertion messages: everything the command printed.</summary>
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs <c>search-host</c> and <c>rerank-train</c> in-process, exactly as their Program.cs does
/// (<c>SearchHostCli.InvokeAsync</c> / <c>TrainCommand.InvokeAsync</c>), with both streams captured. Logging still
/// goes to the real Console.Error; tests do not assert on it.
/// </summary>
internal static class CliInvocation
{
    /// <summary>Runs <c>search-host ARGS</c>.</summary>
    public static Task<CliResult> SearchHost(params string[] args) => Run(SearchHostCli.InvokeAsync, args, CancellationToken.None);

    /// <summary>Runs <c>rerank-train ARGS</c>.</summary>
    public static Task<CliResult> RerankTrain(params string[] args) => Run(TrainCommand.InvokeAsync, args, CancellationToken.None);

    /// <summary>Runs <c>rerank-train ARGS</c> with a cancellation token and a chosen standard error.</summary>
    public static Task<CliResult> RerankTrain(TextWriter error, CancellationToken ct, params string[] args) =>
        Run(TrainCommand.InvokeAsync, args, ct, error);

    private static async Task<CliResult> Run(
        Func<string[], InvocationConfiguration, CancellationToken, Task<int>> entry, string[] args, CancellationToken ct, TextWriter? error = null)
    {
        var output = new StringWriter { NewLine = "\n" };
        error ??= new StringWriter { NewLine = "\n" };
        var config = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // No process-wide Ctrl-C/SIGTERM handlers from inside a test host.
            ProcessTerminationTimeout = null,
        };
        var code = await entry(args, config, ct);
        return new CliResult(code, output.ToString(), error.ToString() ?? "");
    }
}

/// <summary>A fresh temporary folder, deleted (with everything in it) on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "cli") => Path = TestPaths.NewTempDir(prefix);

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder (not created).</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Writes a UTF-8 file inside the folder (LF line ends) and returns its path.</summary>
    public string WriteFile(string name, params string[] lines)
    {
        var path = Combine(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")));
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still mapped by a finalizer-owned handle; the OS temp cleaner gets it.
        }
    }
}
