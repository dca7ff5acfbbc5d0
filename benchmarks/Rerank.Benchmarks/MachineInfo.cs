using System.Globalization;

namespace Rerank.Benchmarks;

/// <summary>What the report says about the machine: CPU model, cores, bf16 instructions, load.</summary>
internal static class MachineInfo
{
    public static string CpuModel() =>
        ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";

    /// <summary>Which of avx512_bf16 and amx_bf16 /proc/cpuinfo lists (the libtorch bf16 GEMM paths).</summary>
    public static string Bf16Flags()
    {
        var flags = ReadLines("/proc/cpuinfo").Where(l => l.StartsWith("flags", StringComparison.Ordinal))
            .SelectMany(l => l.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);
        var present = new[] { "avx512f", "avx512_bf16", "amx_bf16" }.Where(flags.Contains).ToList();
        return present.Count == 0 ? "none" : string.Join(", ", present);
    }

    /// <summary>The 1-minute load average.</summary>
    public static double LoadAverage() =>
        double.TryParse(ReadLines("/proc/loadavg").FirstOrDefault()?.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;

    /// <summary>Minor page faults of this process so far (field 10 of /proc/self/stat); 0 where there is no /proc.</summary>
    public static long MinorFaults()
    {
        var stat = ReadLines("/proc/self/stat").FirstOrDefault();
        if (stat is null) return 0;
        // Fields after the command name (which is in parentheses and may hold spaces) start at field 3.
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(rest[7], CultureInfo.InvariantCulture);
    }

    private static IEnumerable<string> ReadLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}
