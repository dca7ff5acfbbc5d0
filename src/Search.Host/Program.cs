using System.CommandLine;
using System.Runtime.InteropServices;
using Search.Host.Cli;

// Ctrl-C (SIGINT) and SIGTERM cancel the running command through its CancellationToken: it stops
// at its next check, cleans up and exits 130 saying what was kept. A second signal ends the process at once.
using var cancel = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    if (cancel.IsCancellationRequested) return;
    context.Cancel = true;
    cancel.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

return await SearchHostCli.InvokeAsync(args, new InvocationConfiguration { ProcessTerminationTimeout = null }, cancel.Token);
