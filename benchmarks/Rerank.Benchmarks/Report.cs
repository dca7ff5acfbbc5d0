using System.Globalization;
using System.Text;

namespace Rerank.Benchmarks;

/// <summary>The markdown report, echoed to stdout as it grows; progress goes to stderr.</summary>
internal sealed class Report
{
    private readonly StringBuilder _text = new();

    public void Line(string line = "")
    {
        Stop.Check();
        _text.AppendLine(line);
        Console.WriteLine(line);
    }

    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        Line("| " + string.Join(" | ", headers) + " |");
        Line("|" + string.Concat(headers.Select(h => IsNumericHeader(h) ? " ---: |" : " --- |")));
        foreach (var row in rows) Line("| " + string.Join(" | ", row) + " |");
        Line();
    }

    public static void Progress(string message)
    {
        Stop.Check();
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
    }

    public static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    public static string E(double value) => value.ToString("0.00E+0", CultureInfo.InvariantCulture);

    public void Save(string path) => File.WriteAllText(path, _text.ToString());

    private static bool IsNumericHeader(string header) => header is not ("L" or "part" or "arm" or "measure" or "cell");
}
