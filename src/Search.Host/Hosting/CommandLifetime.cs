using Microsoft.Extensions.Hosting;

namespace Search.Host.Hosting;

/// <summary>
/// The host's lifetime for one command: unlike the default console lifetime it installs no Ctrl-C or
/// SIGTERM handlers. Program.cs owns those signals and turns them into the command's cancellation
/// token, so a second signal can still end a process that is slow to stop.
/// </summary>
internal sealed class CommandLifetime : IHostLifetime
{
    /// <inheritdoc/>
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
