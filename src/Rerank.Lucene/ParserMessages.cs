using System.ComponentModel.DataAnnotations;

namespace Rerank.Lucene;

/// <summary>The command-line parser's own messages in the words both programs use for their checks.</summary>
internal static class ParserMessages
{
    /// <summary>"--top must be between 1 and 10000, found VALUE." for a value given as text.</summary>
    internal static string OutOfRange(string flag, RangeAttribute range, string value) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{flag} must be between {range.Minimum} and {range.Maximum}, found {value}.");

    private static readonly System.Text.RegularExpressions.Regex NotOfType = new(
        @"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?:System\.Nullable`1\[)?System\.(?<type>Int32|Int64|Double|Single|Decimal)\]?'\.$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.Singleline);

    /// <summary>
    /// The parser's "Cannot parse argument 'abc' for option '--threads' as expected type 'System.Nullable`1[System.Int32]'" in the
    /// words of the programs' range checks: "--threads must be a whole number, found 'abc'."; other messages as they are.
    /// A whole number too large for the type is out of <paramref name="range"/> when the option has one ("--top must be between 1
    /// and 10000, found 99999999999."), else out of the type's range.
    /// </summary>
    internal static string Readable(string message, RangeAttribute? range = null)
    {
        var m = NotOfType.Match(message);
        if (!m.Success) return message;
        var type = m.Groups["type"].Value;
        var value = m.Groups["value"].Value;
        // A whole number out of the type's range is a whole number: say the range.
        var whole = System.Text.RegularExpressions.Regex.IsMatch(value, @"^[+-]?[0-9]+$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        if (type is "Int32" or "Int64" && whole && range is not null)
            return OutOfRange(m.Groups["option"].Value, range, value);
        if (type is "Int32" or "Int64" && whole)
            return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{m.Groups["option"].Value} must be a whole number from {(type == "Int32" ? int.MinValue : long.MinValue)} to {(type == "Int32" ? int.MaxValue : long.MaxValue)}, found '{value}'.");
        var kind = type is "Int32" or "Int64" ? "a whole number" : "a number";
        return $"{m.Groups["option"].Value} must be {kind}, found '{value}'.";
    }
}
