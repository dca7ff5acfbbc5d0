using System.Diagnostics;
using System.Text;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// <c>search-host</c> or <c>rerank-train</c> as a real child process (the built .dll from the test
/// output, run by the same dotnet host), with its standard streams captured line by line, so tests
/// can wait for a line, send it a real signal (<c>kill -INT</c> / <c>kill -TERM</c>) and check the exit.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly Lock _gate = new();
    private readonly Task _outputDone;
    private readonly Task _errorDone;
    private int _disposed;

    private ChildProcess(Process process)
    {
        _process = process;
        _outputDone = Pump(process.StandardOutput, _output);
        _errorDone = Pump(process.StandardError, _error);
    }

    /// <summary>The child's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Its standard input (kept open until closed or disposed).</summary>
    public StreamWriter Input => _process.StandardInput;

    /// <summary>Starts <c>search-host ARGS</c>.</summary>
    public static ChildProcess SearchHost(params string[] args) => Start("search-host.dll", args, null);

    /// <summary>Starts <c>search-host ARGS</c>, with extra environment variables.</summary>
    public static ChildProcess SearchHost(IReadOnlyDictionary<string, string> environment, params string[] args) => Start("search-host.dll", args, environment);

    /// <summary>Starts <c>rerank-train ARGS</c>, with extra environment variables.</summary>
    public static ChildProcess RerankTrain(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Start("rerank-train.dll", args, environment);

    /// <summary>Starts <c>search-host ARGS</c> from another copy of the program, in <paramref name="programFolder"/> (also the working folder).</summary>
    public static ChildProcess SearchHostIn(string programFolder, params string[] args) => Start("search-host.dll", args, null, programFolder);

    /// <summary>Starts <c>search-host ARGS</c> from another copy of the program, with extra environment variables.</summary>
    public static ChildProcess SearchHostIn(string programFolder, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start("search-host.dll", args, environment, programFolder);

    /// <summary>Starts <c>rerank-train ARGS</c> from another copy of the program, in <paramref name="programFolder"/> (also the working folder).</summary>
    public static ChildProcess RerankTrainIn(string programFolder, params string[] args) => Start("rerank-train.dll", args, null, programFolder);

    private static ChildProcess Start(string dll, string[] args, IReadOnlyDictionary<string, string>? environment, string? programFolder = null)
    {
        var folder = programFolder ?? AppContext.BaseDirectory;
        var start = new ProcessStartInfo(DotnetHost(), [Path.Combine(folder, dll), .. args])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return new ChildProcess(Process.Start(start)!);
    }

    /// <summary>The dotnet host running the tests.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private async Task Pump(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            lock (_gate) into.Append(buffer, 0, n);
        }
    }

    /// <summary>Standard output so far.</summary>
    public string Output
    {
        get { lock (_gate) return _output.ToString(); }
    }

    /// <summary>Standard error so far.</summary>
    public string Error
    {
        get { lock (_gate) return _error.ToString(); }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; fails the test if the process exits first or time runs out.</summary>
    public async Task WaitUntil(Func<bool> condition, string what, int seconds = 120)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (_process.HasExited)
            {
                await Task.WhenAll(_outputDone, _errorDone);
                if (condition()) return;
                Assert.Fail($"the process exited (code {_process.ExitCode}) before {what}:\n{this}");
            }
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}:\n{this}");
            await Task.Delay(10);
        }
    }

    /// <summary>Waits until standard error contains <paramref name="text"/>.</summary>
    public Task WaitForError(string text, int seconds = 120) =>
        WaitUntil(() => Error.Contains(text, StringComparison.Ordinal), $"'{text}' on standard error", seconds);

    /// <summary>Sends a signal with the kill command: "INT" or "TERM".</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{name}", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the exit (killing the process if it takes longer than <paramref name="seconds"/>) and returns the exit code.</summary>
    public async Task<int> WaitForExit(int seconds = 60)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            Assert.Fail($"the process did not exit within {seconds}s and was killed:\n{this}");
        }
        await Task.WhenAll(_outputDone, _errorDone);
        return _process.ExitCode;
    }

    /// <summary>For assertion messages.</summary>
    public override string ToString() => $"--- stdout\n{Output}\n--- stderr\n{Error}";

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            catch (InvalidOperationException)
            {
            }
        }
        _process.Dispose();
    }
}
