using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Rerank.Training.Cli;

/// <summary>
/// Value rules checked while the command line is parsed, before the index is opened or anything is mined,
/// each answered in one line such as "--epochs must be at least 1, found 0.".
/// </summary>
internal static class OptionRules
{
    /// <summary>The value must be at least <paramref name="min"/> (a whole number, so at most <see cref="int.MaxValue"/>).</summary>
    public static Option<int> AtLeast(this Option<int> option, int min)
    {
        WholeNumbers(option, min);
        return option.Rule(v => v >= min, $"at least {min}");
    }

    /// <summary>
    /// Records that <paramref name="option"/> takes whole numbers from <paramref name="min"/> to <see cref="int.MaxValue"/>,
    /// so a number too large (or too small) for an int is answered with that range (<see cref="RangeOf"/>), not the type's.
    /// </summary>
    public static Option<int> WholeNumbers(this Option<int> option, int min)
    {
        Ranges.AddOrUpdate(option, new RangeAttribute(min, int.MaxValue));
        return option;
    }

    /// <summary>The whole-number range of <paramref name="option"/> (<see cref="WholeNumbers"/>); null when it has none.</summary>
    public static RangeAttribute? RangeOf(Option? option) => option is not null && Ranges.TryGetValue(option, out var range) ? range : null;

    private static readonly ConditionalWeakTable<Option, RangeAttribute> Ranges = new();

    /// <summary>The value must be a finite number greater than <paramref name="min"/>.</summary>
    public static Option<double> Above(this Option<double> option, double min) =>
        option.Rule(v => double.IsFinite(v) && v > min, $"greater than {Show(min)}");

    /// <summary>The value must be a finite number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<double> Between(this Option<double> option, double min, double max) =>
        option.Rule(v => double.IsFinite(v) && v >= min && v <= max, $"between {Show(min)} and {Show(max)}");

    /// <summary>The value must be a finite number of at least <paramref name="min"/>.</summary>
    public static Option<double> AtLeast(this Option<double> option, double min) =>
        option.Rule(v => double.IsFinite(v) && v >= min, $"a number of at least {Show(min)}");

    /// <summary>The value must be a finite number of at least <paramref name="min"/>.</summary>
    public static Option<float> AtLeast(this Option<float> option, float min) =>
        option.Rule(v => float.IsFinite(v) && v >= min, $"a number of at least {Show(min)}");

    /// <summary>The value must be one of <paramref name="choices"/> (any case).</summary>
    public static Option<string> OneOf(this Option<string> option, params string[] choices) =>
        option.Rule(v => choices.Contains(v, StringComparer.OrdinalIgnoreCase),
            string.Join(", ", choices[..^1]) + " or " + choices[^1], quote: true);

    private static Option<T> Rule<T>(this Option<T> option, Func<T, bool> valid, string expected, bool quote = false)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0) return;
            T? value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // not a number at all: the parser reports that itself
            }
            if (value is null || valid(value)) return;
            var shown = value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value.ToString();
            // A number too large for its type parses as infinity: show what was typed and the largest value the option holds.
            var typed = result.Tokens[^1].Value;
            if (value is double.PositiveInfinity or double.NegativeInfinity or float.PositiveInfinity or float.NegativeInfinity
                && !typed.Contains("inf", StringComparison.OrdinalIgnoreCase) && !typed.Contains('∞'))
            {
                var largest = value is float ? float.MaxValue.ToString("R", CultureInfo.InvariantCulture) : double.MaxValue.ToString("R", CultureInfo.InvariantCulture);
                result.AddError($"{option.Name} must be {expected}, found {typed}, which is beyond the largest number it holds ({largest}).");
                return;
            }
            result.AddError($"{option.Name} must be {expected}, found {(quote ? $"'{shown}'" : shown)}.");
        });
        return option;
    }

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);
}
