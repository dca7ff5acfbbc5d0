using System.CommandLine;
using System.Runtime.InteropServices;
using Rerank.Training.Cli;

// Ctrl-C (SIGINT) and SIGTERM cancel the run through its CancellationToken: training stops after the
// current update, saves a checkpoint and exits 130 with the command that resumes it. A second signal
// ends the process at once.
using var cancel = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    if (cancel.IsCancellationRequested)
    {
        // The default action ends the process; say so, since the first signal's message will not come.
        Console.Error.WriteLine("rerank-train: second signal, stopping at once. Checkpoints are written atomically, so the last complete one is intact; " +
            "--resume continues from it (the model folder is written only when a run finishes, so --output is unchanged).");
        return;
    }
    context.Cancel = true;
    cancel.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

return await TrainCommand.InvokeAsync(args, new InvocationConfiguration { ProcessTerminationTimeout = null }, cancel.Token);
