using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace Search.Host.Hosting;

/// <summary>
/// Validates a settings object's data annotations (nested objects marked <see cref="ValidateObjectMembersAttribute"/>
/// included) into one message per bad value, naming the setting as configuration spells it
/// (<c>SearchHost:Reranker:Device</c>) and the value found, e.g.
/// "The field SearchHost:Top must be between 1 and 10000 (found 0)". Replaces the framework's data-annotation
/// validator, whose messages name C# types and members instead of settings.
/// </summary>
/// <typeparam name="T">The settings class bound to <paramref name="section"/>.</typeparam>
/// <param name="section">The configuration section the settings are bound from, e.g. "SearchHost".</param>
internal sealed class SettingsValidator<T>(string section) : IValidateOptions<T> where T : class
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, T options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Collect(options, section, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Collect(object target, string path, List<string> failures)
    {
        foreach (var property in target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanRead || property.GetIndexParameters().Length > 0) continue;
            var value = property.GetValue(target);
            var key = $"{path}:{property.Name}";
            var results = new List<ValidationResult>();
            var context = new ValidationContext(target) { MemberName = property.Name, DisplayName = key };
            if (!Validator.TryValidateProperty(value, context, results))
            {
                foreach (var result in results)
                    failures.Add($"{result.ErrorMessage?.TrimEnd('.')} (found {Show(value)})");
            }
            if (value is not null && property.IsDefined(typeof(ValidateObjectMembersAttribute))) Collect(value, key, failures);
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "no value",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
