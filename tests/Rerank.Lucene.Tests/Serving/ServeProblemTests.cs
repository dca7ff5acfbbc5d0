using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;
using Search.Host.Serving;

namespace Rerank.Lucene.Tests.Serving;

/// <summary>
/// Bad requests get a 4xx RFC 7807 problem (application/problem+json) whose detail names the field or limit and the fix;
/// never a 500 or a stack trace. Limits are set small here so each is reached.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ServeProblemTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IAsyncLifetime
{
    private readonly string _model = TinyCrossEncoder.Create(seed: 3);
    private ServedApp _served = null!;

    public async Task InitializeAsync() =>
        _served = await ServedApp.StartAsync(
            new ServeOptions { MaxTexts = 4, MaxRequestBytes = 2000, MaxQueryLength = 50, MaxTop = 20, ApiKey = null }, sample.Index, _model);

    public async Task DisposeAsync()
    {
        await _served.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_model)!, recursive: true);
    }

    private static StringContent Json(string body, string type = "application/json") => new(body, Encoding.UTF8, type);

    public static TheoryData<string, string, string?, string?, int, string> Cases => new()
    {
        // method, path, body, content type, status, words the detail must contain
        { "GET", "/search", null, null, 422, "query is empty" },
        { "GET", "/search?q=", null, null, 422, "query is empty" },
        { "GET", "/search?q=bread&k=0", null, null, 422, "k must be between 1 and 20 (Serve:MaxTop), found 0" },
        { "GET", "/search?q=bread&k=21", null, null, 422, "Serve:MaxTop" },
        { "GET", "/search?q=bread&k=ten", null, null, 422, "'k' must be a whole number, found 'ten'" },
        { "GET", "/search?q=bread&rerank=yes", null, null, 422, "'rerank' must be true or false" },
        { "GET", "/search?query=bread", null, null, 422, "Unknown query parameter 'query'" },
        { "GET", "/search?q=" + new string('a', 51), null, null, 422, "51 characters; the limit (Serve:MaxQueryLength) is 50" },
        { "POST", "/search", "{\"query\": \"bread\"", "application/json", 400, "not valid JSON" },
        { "POST", "/search", "query=bread", "application/x-www-form-urlencoded", 415, "Content-Type: application/json" },
        { "POST", "/search", "[1, 2]", "application/json", 422, "must be a JSON object, found a array" },
        { "POST", "/search", "{\"q\": \"bread\"}", "application/json", 422, "Unknown field 'q'" },
        { "POST", "/search", "{\"query\": 5}", "application/json", 422, "'query' must be a string, found a number" },
        { "POST", "/search", "{\"query\": \"bread\", \"k\": 2.5}", "application/json", 422, "'k' must be a whole number, found 2.5" },
        { "POST", "/search", "{\"query\": \"bread\", \"rerank\": \"no\"}", "application/json", 422, "'rerank' must be true or false" },
        { "POST", "/search", "", "application/json", 400, "no body" },
        { "POST", "/rerank", "{\"texts\": [\"a\"]}", "application/json", 422, "Field 'query' is required" },
        { "POST", "/rerank", "{\"query\": \"a\"}", "application/json", 422, "Field 'texts' is required" },
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": []}", "application/json", 422, "'texts' is empty" },
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": [\"x\", 3]}", "application/json", 422, "texts[1] must be a string" },
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": [\"1\", \"2\", \"3\", \"4\", \"5\"]}", "application/json", 413, "5 texts; the limit (Serve:MaxTexts) is 4" },
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": [\"" + new string('x', 2100) + "\"]}", "application/json", 413, "the limit (Serve:MaxRequestBytes) is 2000" },
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": [\"x\"], \"top_k\": 1}", "application/json", 422, "Unknown field 'top_k'" },
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": [\"x\"], \"truncation_direction\": \"Left\"}", "application/json", 422, "truncation_direction must be \"Right\"" },
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": [\"x\"], \"raw_scores\": 1}", "application/json", 422, "'raw_scores' must be true or false" },
        // The tiny model reads 64 tokens; one character is one token in its vocabulary.
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": [\"short\", \"" + string.Join(' ', Enumerable.Repeat("word", 40)) + "\"], \"truncate\": false}", "application/json", 413, "texts[1] with the query is at least 64 tokens" },
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": [\"x\"], \"top_n\": 0}", "application/json", 422, "top_n must be at least 1, found 0" },
        { "POST", "/v1/rerank", "{\"query\": \"a\", \"texts\": [\"x\"]}", "application/json", 422, "Unknown field 'texts'" },
        { "POST", "/v1/rerank", "{\"query\": \"a\", \"documents\": [{\"title\": \"x\"}]}", "application/json", 422, "documents[0] must be a string or an object with a string \"text\"" },
        { "POST", "/v1/rerank", "{\"query\": \"a\", \"documents\": [\"1\", \"2\", \"3\", \"4\", \"5\"]}", "application/json", 413, "5 documents; the limit (Serve:MaxTexts) is 4" },
        { "GET", "/rerank", null, null, 405, "/rerank answers POST, not GET" },
        { "GET", "/nowhere", null, null, 404, "No endpoint GET /nowhere" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadRequest_GetsAProblemNamingTheFix(string method, string path, string? body, string? type, int status, string detail)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = Json(body, type!);
        using var response = await _served.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{method} {path}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
        Assert.Contains(detail, problem["detail"]!.GetValue<string>());
        Assert.DoesNotContain("   at ", text); // no stack trace
    }

    [Fact]
    public async Task LongTexts_AreCut_WithTruncateTrue_AndWithoutTruncate_AsServeTruncateSays()
    {
        var text = string.Join(' ', Enumerable.Repeat("word", 40));
        foreach (var body in new[] { $"{{\"query\": \"a\", \"texts\": [\"{text}\"], \"truncate\": true}}", $"{{\"query\": \"a\", \"texts\": [\"{text}\"]}}" })
        {
            using var response = await _served.Client.PostAsync("/rerank", Json(body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Ready_NamesTheIndexAndModel_Health_IsAlive_OpenApi_DescribesTheEndpoints()
    {
        var ready = JsonNode.Parse(await _served.Client.GetStringAsync("/ready"))!;
        Assert.Equal("ready", ready["status"]!.GetValue<string>());
        Assert.Equal(sample.Index, ready["index"]!.GetValue<string>());
        Assert.Equal(SampleCorpus.DocumentCount, ready["documents"]!.GetValue<int>());
        Assert.Equal(_model, ready["reranker"]!.GetValue<string>());
        Assert.Equal("alive", JsonNode.Parse(await _served.Client.GetStringAsync("/health"))!["status"]!.GetValue<string>());
        var paths = JsonNode.Parse(await _served.Client.GetStringAsync("/openapi/v1.json"))!["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Equal(["/health", "/ready", "/rerank", "/search", "/v1/rerank"], paths.Order());
    }
}
