using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Search.Host.Cli;

/// <summary>
/// Checks a flag's value while the command line is parsed, before any host starts, against the same
/// data annotations (<see cref="RangeAttribute"/>, <see cref="RegularExpressionAttribute"/>) that validate
/// the setting it is bound to when it comes from appsettings.json or the environment: one rule, stated once,
/// and a bad flag gives one line such as "--top must be between 1 and 10000, found 0."
/// </summary>
internal static class SettingChecks
{
    private static readonly ConditionalWeakTable<Option, RangeAttribute> Ranges = new();

    /// <summary>The range <see cref="CheckedAs"/> gave <paramref name="option"/>, or null when it has none.</summary>
    public static RangeAttribute? RangeOf(Option? option) => option is not null && Ranges.TryGetValue(option, out var range) ? range : null;

    /// <summary>Adds the check of <paramref name="owner"/>.<paramref name="property"/> to <paramref name="option"/> and returns it.</summary>
    public static Option<T> CheckedAs<T>(this Option<T> option, Type owner, string property)
    {
        var attributes = owner.GetProperty(property, BindingFlags.Public | BindingFlags.Instance)?.GetCustomAttributes<ValidationAttribute>().ToList()
            ?? throw new ArgumentException($"{owner.Name} has no property {property}.", nameof(property));
        if (attributes.OfType<RangeAttribute>().FirstOrDefault() is { } declared) Ranges.AddOrUpdate(option, declared);
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0) return;
            T value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // not a T at all: the parser reports that itself
            }
            foreach (var attribute in attributes)
            {
                if (value is null || attribute.IsValid(value)) continue;
                result.AddError(Describe(option.Name, attribute, value));
                return;
            }
        });
        return option;
    }

    /// <summary>
    /// Refuses an empty or blank value of <paramref name="option"/> while parsing (<c>--embedder ""</c> from an unset shell variable),
    /// in one line naming the flag and <paramref name="fix"/>: an empty value never falls back to a default.
    /// </summary>
    public static Option<string> NotEmpty(this Option<string> option, string fix)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens.All(t => string.IsNullOrWhiteSpace(t.Value)))
                result.AddError($"{option.Name} is empty: {fix}");
        });
        return option;
    }

    /// <summary>
    /// Refuses, while parsing, a value of <paramref name="option"/> that does not match <paramref name="pattern"/> (whole value,
    /// case-sensitive, as the reranker settings' patterns), in the reranker settings' words: "--precision must be
    /// <paramref name="allowed"/>, found 'X'."
    /// </summary>
    public static Option<string> Matching(this Option<string> option, string pattern, string allowed)
    {
        var regex = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0) return;
            var value = result.Tokens[^1].Value;
            if (!regex.IsMatch(value)) result.AddError($"{option.Name} must be {allowed}, found '{value}'.");
        });
        return option;
    }

    /// <summary>
    /// Refuses, while parsing, a value of <paramref name="option"/> that is not one of <paramref name="allowed"/> (compared trimmed and
    /// case-insensitively, as the commands read it), with <paramref name="message"/>'s line, so a bad value is reported before any file is looked for.
    /// </summary>
    public static Option<string> OneOf(this Option<string> option, string[] allowed, Func<string, string> message)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0) return;
            var value = result.Tokens[^1].Value;
            if (!allowed.Contains(value.Trim().ToLowerInvariant())) result.AddError(message(value));
        });
        return option;
    }

    private static string Describe(string flag, ValidationAttribute attribute, object value) => attribute switch
    {
        RangeAttribute range => Rerank.Lucene.ParserMessages.OutOfRange(flag, range, Format(value)),
        _ => $"{attribute.FormatErrorMessage(flag).TrimEnd('.')}, found '{Format(value)}'.",
    };

    private static string Format(object value) => value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value.ToString() ?? "";
}
