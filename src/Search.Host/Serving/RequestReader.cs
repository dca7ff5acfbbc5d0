using System.Text.Json;
using Rerank.Lucene;
using Microsoft.AspNetCore.Http;

namespace Search.Host.Serving;

/// <summary>
/// Reads request bodies and fields by hand, so that every mistake is answered with a problem that names the field
/// and the fix (the framework's binder answers a bare 400): 415 for a body that is not JSON, not UTF-8 or compressed,
/// 413 for one over Serve:MaxRequestBytes, 400 for JSON that does not parse, text that is not valid Unicode or a field given twice, 422 for a missing, mistyped or unknown field.
/// </summary>
internal static class RequestReader
{
    /// <summary>The body as a JSON object, within the byte limit.</summary>
    public static async Task<JsonElement> ReadObjectAsync(HttpRequest request, ServeOptions limits, CancellationToken ct)
    {
        var type = request.ContentType;
        if (type is null || !(type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || type.Contains("+json", StringComparison.OrdinalIgnoreCase)))
            throw new RequestProblem(415, "Unsupported media type",
                $"The body must be JSON sent with Content-Type: application/json (got {(type is null ? "no Content-Type" : $"'{type}'")}).");
        if (Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(type, out var media) && media.Charset.HasValue
            && !(media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || media.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)))
            throw new RequestProblem(415, "Unsupported charset",
                $"The body must be UTF-8 (Content-Type: application/json; charset=utf-8, or no charset), got charset={media.Charset}.");
        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            throw new RequestProblem(415, "Unsupported content encoding",
                $"Content-Encoding '{encoding}' is not supported; send the body uncompressed (no Content-Encoding, or identity).");
        if (request.ContentLength is { } length && length > limits.MaxRequestBytes)
            throw TooLarge(length.ToString(System.Globalization.CultureInfo.InvariantCulture), limits);
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(chunk, ct);
                if (read == 0) break;
                if (buffer.Length + read > limits.MaxRequestBytes) throw TooLarge("more than " + limits.MaxRequestBytes, limits);
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge("more than " + limits.MaxRequestBytes, limits);
        }
        if (buffer.Length == 0) throw new RequestProblem(400, "Empty body", "The request has no body; send a JSON object.");
        // A UTF-8 byte order mark is accepted and skipped (RFC 8259 lets a parser ignore it).
        var bytes = new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
        if (bytes.Span.StartsWith(Utf8Bom)) bytes = bytes[Utf8Bom.Length..];
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new RequestProblem(422, "Body is not an object", $"The body must be a JSON object, found {Kind(document.RootElement)}.");
            CheckTexts(document.RootElement, "");
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new RequestProblem(400, "Invalid JSON", $"The body is not valid JSON: {e.Message}");
        }
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Refuses, with 400 naming the place, every string or field name that is not valid Unicode (invalid UTF-8, or a
    /// \u escape that leaves a lone surrogate) and every object that repeats a field name: the parser lets both through.
    /// </summary>
    private static void CheckTexts(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        throw new RequestProblem(400, "Invalid text", $"A field name{(path.Length == 0 ? "" : $" in '{path}'")} is not valid Unicode (invalid UTF-8 or a lone surrogate escape such as \\ud800). Send UTF-8 text.");
                    }
                    var at = path.Length == 0 ? name : $"{path}.{name}";
                    if (!seen.Add(name))
                        throw new RequestProblem(400, "Duplicate field", $"Field '{at}' appears more than once; send it once.");
                    CheckTexts(property.Value, at);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray()) CheckTexts(item, $"{path}[{i++}]");
                break;
            case JsonValueKind.String:
                try
                {
                    element.GetString();
                }
                catch (InvalidOperationException)
                {
                    throw new RequestProblem(400, "Invalid text", $"Field '{path}' is not valid Unicode (invalid UTF-8 or a lone surrogate escape such as \\ud800). Send UTF-8 text; escape characters outside the BMP as surrogate pairs.");
                }
                break;
        }
    }

    private static RequestProblem TooLarge(string size, ServeOptions limits) =>
        new(413, "Request too large", $"The body is {size} bytes; the limit (Serve:MaxRequestBytes) is {limits.MaxRequestBytes}. Send fewer or shorter texts.");

    /// <summary>Refuses fields not in <paramref name="known"/>: a misspelt setting is never silently ignored.</summary>
    public static void RefuseUnknown(JsonElement body, params string[] known)
    {
        foreach (var property in body.EnumerateObject())
        {
            if (!known.Contains(property.Name))
                throw new RequestProblem(422, "Unknown field", $"Unknown field '{property.Name}'. Known fields: {string.Join(", ", known)}.");
        }
    }

    /// <summary>A required string field.</summary>
    public static string String(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new RequestProblem(422, "Missing field", $"Field '{name}' is required (a string).");
        if (value.ValueKind != JsonValueKind.String)
            throw new RequestProblem(422, "Wrong type", $"Field '{name}' must be a string, found {Kind(value)}.");
        return value.GetString()!;
    }

    /// <summary>An optional string field: null when absent or null, 422 when not a string.</summary>
    public static string? OptionalString(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String)
            throw new RequestProblem(422, "Wrong type", $"Field '{name}' must be a string, found {Kind(value)}.");
        return value.GetString();
    }

    /// <summary>An optional boolean field.</summary>
    public static bool Bool(JsonElement body, string name, bool fallback)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return fallback;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new RequestProblem(422, "Wrong type", $"Field '{name}' must be true or false, found {Kind(value)}."),
        };
    }

    /// <summary>An optional integer field.</summary>
    public static int? Int(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
            throw new RequestProblem(422, "Wrong type", $"Field '{name}' must be a whole number, found {value.GetRawText()}.");
        return number;
    }

    /// <summary>A required array of strings.</summary>
    public static List<string> Strings(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new RequestProblem(422, "Missing field", $"Field '{name}' is required (an array of strings).");
        if (value.ValueKind != JsonValueKind.Array)
            throw new RequestProblem(422, "Wrong type", $"Field '{name}' must be an array of strings, found {Kind(value)}.");
        var list = new List<string>(value.GetArrayLength());
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                throw new RequestProblem(422, "Wrong type", $"{name}[{i}] must be a string, found {Kind(item)}.");
            list.Add(item.GetString()!);
            i++;
        }
        return list;
    }

    /// <summary>A required array of documents: strings, or objects whose "text" is the string (Cohere's two forms).</summary>
    public static List<string> Documents(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new RequestProblem(422, "Missing field", $"Field '{name}' is required (an array of strings or of {{\"text\": ...}} objects).");
        if (value.ValueKind != JsonValueKind.Array)
            throw new RequestProblem(422, "Wrong type", $"Field '{name}' must be an array, found {Kind(value)}.");
        var list = new List<string>(value.GetArrayLength());
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String) list.Add(item.GetString()!);
            else if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String) list.Add(text.GetString()!);
            else throw new RequestProblem(422, "Wrong type", $"{name}[{i}] must be a string or an object with a string \"text\", found {Kind(item)}.");
            i++;
        }
        return list;
    }

    private static string Kind(JsonElement e) => JsonKinds.Describe(e.ValueKind);
}
