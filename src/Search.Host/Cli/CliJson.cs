using System.Text.Encodings.Web;
using System.Text.Json;

namespace Search.Host.Cli;

/// <summary>
/// The JSON every CLI command prints (<c>--json</c>, <c>get</c>, <c>stats --json</c>, <c>score</c>, <c>eval</c>): relaxed escaping
/// (<see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>), so non-ASCII text (é, 中文) and characters such as <c>+</c>,
/// <c>&lt;</c>, <c>&amp;</c>, <c>'</c> appear as themselves; quotes, backslashes and control characters are still escaped, so
/// the output is valid JSON. It is not meant to be pasted into HTML or a script unescaped.
/// </summary>
internal static class CliJson
{
    /// <summary>The serializer options of all CLI JSON output.</summary>
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><paramref name="value"/> as one line of JSON with <see cref="Options"/>.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
