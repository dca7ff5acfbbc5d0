using System.Diagnostics;
using System.Text;

namespace Rerank.Lucene.Tests.Packaging;

/// <summary>What a child process gave: exit code and both streams.</summary>
internal sealed record ProcessResult(string Command, int ExitCode, string Output, string Error)
{
    /// <summary>For assertion messages.</summary>
    public override string ToString() => $"{Command}\nexit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs the .NET CLI (or a program) as a child process with a clean build environment: no MSBuild
/// variables inherited from the <c>dotnet test</c> that started this test host, no build servers left
/// behind, and <c>NUGET_PACKAGES</c> and <c>SEARCHRERANK_MODELS</c> only as each call says.
/// </summary>
internal static class DotnetCommand
{
    /// <summary>The <c>dotnet</c> host running these tests (so the child uses the same SDK installation).</summary>
    public static string Host { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path
        : "dotnet";

    /// <summary>Runs <c>dotnet ARGS</c> in <paramref name="workingFolder"/>.</summary>
    public static Task<ProcessResult> Dotnet(string workingFolder, IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        Run(Host, workingFolder, environment, args);

    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/>; kills it (and its children) after <paramref name="timeout"/>.</summary>
    public static async Task<ProcessResult> Run(
        string program, string workingFolder, IReadOnlyDictionary<string, string?> environment, string[] args, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program, args)
        {
            WorkingDirectory = workingFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var name in start.Environment.Keys.ToList())
        {
            // The CLI that started the test host points MSBuild at its own SDK folders and node settings.
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)) start.Environment.Remove(name);
        }
        start.Environment.Remove(Rerank.Lucene.Reranking.DefaultReranker.ModelsVariable);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        foreach (var (name, value) in environment)
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }

        var command = $"(in {workingFolder}) {program} {string.Join(' ', args)}";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{command} did not finish in time:\n{await stdout}\n{await stderr}");
        }

        return new ProcessResult(command, process.ExitCode, await stdout, await stderr);
    }
}
