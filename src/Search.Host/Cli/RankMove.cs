namespace Search.Host.Cli;

/// <summary>How far a document moved between the BM25 ranking and the final one, for people.</summary>
internal static class RankMove
{
    /// <summary>"▲3" (moved up 3), "▼2" (down 2) or "=" (unchanged), as Spectre markup.</summary>
    public static string Describe(int before, int after) => (before - after) switch
    {
        > 0 and var up => $"[green]▲{up}[/]",
        < 0 and var down => $"[red]▼{-down}[/]",
        _ => "=",
    };
}
