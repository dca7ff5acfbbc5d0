namespace Search.Host.Cli;

/// <summary>
/// A command cancelled by Ctrl-C or SIGTERM, saying what it leaves behind ("the index 'idx' is
/// untouched ..."); <see cref="CliRunner"/> prints "cancelled: " and that, and exits 130.
/// </summary>
internal sealed class CancelledException(string kept, Exception? inner, CancellationToken ct) : OperationCanceledException(kept, inner, ct)
{
    /// <summary>What the cancelled command leaves behind, as a sentence.</summary>
    public string Kept => Message;
}
