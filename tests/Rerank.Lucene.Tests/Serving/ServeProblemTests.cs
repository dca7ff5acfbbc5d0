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
        { "POST", "/search", "[1, 2]", "application/json", 422, "must be a JSON object, found an array" },
        { "POST", "/search", "{\"q\": \"bread\"}", "application/json", 422, "Unknown field 'q'" },
        { "POST", "/search?q=solar", "{\"query\": \"bread\"}", "application/json", 422, "POST /search takes its parameters in the JSON body only" },
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
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": [\"short\", \"" + string.Join(' ', Enumerable.Repeat("word", 40)) + "\"], \"truncate\": false}", "application/json", 413, "texts[1] with the query is 164 tokens, more than the model's limit of 64" },
        // "a" is 1 token, 61 single letters 61, and [CLS] [SEP] [SEP] 3: 65, one more than the limit.
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": [\"" + string.Join(' ', Enumerable.Repeat("x", 61)) + "\"], \"truncate\": false}", "application/json", 413, "texts[0] with the query is 65 tokens, more than the model's limit of 64" },
        // Text that is not Unicode (a lone surrogate escape) is named, wherever it is.
        { "POST", "/search", "{\"query\": \"\\ud800\"}", "application/json", 400, "Field 'query' is not valid Unicode" },
        { "POST", "/rerank", "{\"query\": \"bread\", \"texts\": [\"ok\", \"\\ud800\"]}", "application/json", 400, "Field 'texts[1]' is not valid Unicode" },
        { "POST", "/v1/rerank", "{\"query\": \"bread\", \"documents\": [{\"text\": \"x\\udc00\"}]}", "application/json", 400, "Field 'documents[0].text' is not valid Unicode" },
        { "POST", "/search", "{\"query\": \"a\", \"query\": \"b\"}", "application/json", 400, "Field 'query' appears more than once" },
        { "POST", "/rerank", "{\"query\": \"\", \"texts\": [\"x\"]}", "application/json", 422, "send some words (\"query\" in the body, the text the texts are scored against)" },
        { "POST", "/v1/rerank", "{\"query\": \"a\", \"documents\": [\"x\"], \"max_chunks_per_doc\": 10}", "application/json", 422, "max_chunks_per_doc is not supported" },
        { "POST", "/v1/rerank", "{\"query\": \"a\", \"documents\": [\"x\"], \"model\": 3}", "application/json", 422, "Field 'model' must be a string, found a number" },
        { "GET", "/search?q=a&q=b", null, null, 400, "Query parameter 'q' is given 2 times; give it once" },
        { "GET", "/search?q=bread&k=1&k=2", null, null, 400, "Query parameter 'k' is given 2 times" },
        { "GET", "/search?q=bread&k=-1", null, null, 422, "k must be between 1 and 20 (Serve:MaxTop), found -1" },
        { "GET", "/search?q=%ED%A0%80bread", null, null, 400, "Query parameter 'q' is not valid percent-encoded UTF-8 ('%ED%A0%80bread')" },
        { "GET", "/search?q=%C3%28", null, null, 400, "Query parameter 'q' is not valid percent-encoded UTF-8 ('%C3%28')" },
        { "POST", "/rerank", "{\"query\": \"a\", \"texts\": [\"x\"], \"top_n\": 0}", "application/json", 422, "top_n must be at least 1, found 0" },
        { "POST", "/v1/rerank", "{\"query\": \"a\", \"texts\": [\"x\"]}", "application/json", 422, "Unknown field 'texts'" },
        { "POST", "/v1/rerank", "{\"query\": \"a\", \"documents\": [{\"title\": \"x\"}]}", "application/json", 422, "documents[0] must be a string or an object with a string \"text\"" },
        { "POST", "/v1/rerank", "{\"query\": \"a\", \"documents\": [\"1\", \"2\", \"3\", \"4\", \"5\"]}", "application/json", 413, "5 documents; the limit (Serve:MaxTexts) is 4" },
        { "GET", "/search?q=bread&offset=-1", null, null, 422, "offset must be 0 or more (hits to skip), found -1" },
        { "GET", "/search?q=bread&offset=two", null, null, 422, "Parameter 'offset' must be a whole number, found 'two'" },
        { "GET", "/search?q=bread&k=10&offset=11", null, null, 422, "offset + k must be at most 20 (Serve:MaxTop, the deepest hit a request may reach), found 11 + 10 = 21" },
        { "GET", "/search?q=bread&offset=1&offset=2", null, null, 400, "Query parameter 'offset' is given 2 times" },
        { "GET", "/search?q=bread&highlight=yes", null, null, 422, "Parameter 'highlight' must be true or false, found 'yes'" },
        { "POST", "/search", "{\"query\": \"bread\", \"offset\": -3}", "application/json", 422, "offset must be 0 or more (hits to skip), found -3" },
        { "POST", "/search", "{\"query\": \"bread\", \"offset\": \"2\"}", "application/json", 422, "Field 'offset' must be a whole number, found \"2\"" },
        { "POST", "/search", "{\"query\": \"bread\", \"k\": 5, \"offset\": 2147483647}", "application/json", 422, "offset + k must be at most 20" },
        { "POST", "/search", "{\"query\": \"bread\", \"highlight\": 1}", "application/json", 422, "Field 'highlight' must be true or false, found a number" },
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
    public async Task APairOfExactlyTheMaxLength_IsScored_WithTruncateFalse()
    {
        // "a" (1 token) + 60 single letters (60) + [CLS] [SEP] [SEP] (3) = 64, the tiny model's limit: it fits uncut.
        var text = string.Join(' ', Enumerable.Repeat("x", 60));
        using var response = await _served.Client.PostAsync("/rerank", Json($"{{\"query\": \"a\", \"texts\": [\"{text}\"], \"truncate\": false}}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<(int Status, string? Type, string Text)> PostBytes(string path, byte[] body, string contentType, string? encoding = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (encoding is not null) request.Content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);
        using var response = await _served.Client.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task BodiesThatAreNotUtf8_Get400Or415_NamingTheFieldOrTheCharset_ABomIsSkipped()
    {
        // {"query": "<0xFF>"}: 0xFF is never a UTF-8 byte.
        var invalid = Encoding.ASCII.GetBytes("{\"query\": \"\"}");
        invalid = [.. invalid[..11], 0xFF, .. invalid[11..]];
        var (status, type, text) = await PostBytes("/search", invalid, "application/json");
        Assert.Equal(400, status);
        Assert.Equal("application/problem+json", type);
        Assert.Contains("Field 'query' is not valid Unicode", text);

        foreach (var charset in new[] { "iso-8859-1", "utf-16" })
        {
            (status, _, text) = await PostBytes("/search", Encoding.UTF8.GetBytes("{\"query\": \"bread\"}"), $"application/json; charset={charset}");
            Assert.Equal(415, status);
            Assert.Contains($"must be UTF-8 (Content-Type: application/json; charset=utf-8, or no charset), got charset={charset}", text);
        }
        (status, _, text) = await PostBytes("/search", Encoding.UTF8.GetBytes("{\"query\": \"bread\"}"), "application/json", encoding: "gzip");
        Assert.Equal(415, status);
        Assert.Contains("Content-Encoding 'gzip' is not supported", text);

        (status, _, text) = await PostBytes("/search", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("{\"query\": \"bread\", \"rerank\": false}")], "application/json; charset=UTF-8");
        Assert.True(status == 200, text);
        Assert.Equal("bread", JsonNode.Parse(text)!["query"]!.GetValue<string>());
    }

    [Fact]
    public async Task CohereRerank_AcceptsCoheresModelField()
    {
        using var response = await _served.Client.PostAsync("/v1/rerank", Json("{\"model\": \"rerank-english-v3.0\", \"query\": \"a\", \"documents\": [\"x\", \"y\"], \"top_n\": 1}"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Single(JsonNode.Parse(text)!["results"]!.AsArray());
    }

    [Fact]
    public async Task Head_OnHealthReadyAndSearch_AnswersTheGetStatusWithoutABody_DeleteGets405NamingHead()
    {
        foreach (var path in new[] { "/health", "/ready", "/search?q=bread&rerank=false", "/" })
        {
            using var response = await _served.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"HEAD {path}: {(int)response.StatusCode}");
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
        using var delete = await _served.Client.DeleteAsync("/health");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
        Assert.Equal(["GET", "HEAD"], delete.Content.Headers.Allow.Order());
    }

    [Fact]
    public async Task Ready_GivesTheDefaultAndMostHits_ForThePage()
    {
        var ready = JsonNode.Parse(await _served.Client.GetStringAsync("/ready"))!;
        Assert.Equal(10, ready["top"]!.GetValue<int>()); // SearchHostOptions' default
        Assert.Equal(20, ready["max_top"]!.GetValue<int>()); // set above
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
        Assert.Equal("onnxruntime", ready["reranker_engine"]!.GetValue<string>());
        Assert.Equal("fp32", ready["reranker_precision"]!.GetValue<string>());
        Assert.Equal(sample.Index, ready["index"]!.GetValue<string>());
        Assert.Equal(SampleCorpus.DocumentCount, ready["documents"]!.GetValue<int>());
        Assert.Equal(_model, ready["reranker"]!.GetValue<string>());
        Assert.Equal("alive", JsonNode.Parse(await _served.Client.GetStringAsync("/health"))!["status"]!.GetValue<string>());
        var paths = JsonNode.Parse(await _served.Client.GetStringAsync("/openapi/v1.json"))!["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Equal(["/health", "/ready", "/rerank", "/search", "/v1/rerank"], paths.Order());
    }

    [Fact]
    public async Task OpenApi_DescribesTheQueryParametersAndRequestBodiesTheHandlersAccept()
    {
        var doc = JsonNode.Parse(await _served.Client.GetStringAsync("/openapi/v1.json"))!["paths"]!;

        var parameters = doc["/search"]!["get"]!["parameters"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!);
        Assert.Equal(["filter", "highlight", "k", "offset", "q", "rerank"], parameters.Keys.Order());
        Assert.Equal("integer", parameters["offset"]["schema"]!["type"]!.ToString());
        Assert.Equal("boolean", parameters["highlight"]["schema"]!["type"]!.ToString());
        Assert.True(parameters["q"]["required"]!.GetValue<bool>());
        Assert.Equal("integer", parameters["k"]["schema"]!["type"]!.ToString());
        (string Path, string[] Required, string[] Fields)[] bodies =
        [
            ("/search", ["query"], ["filter", "highlight", "k", "offset", "query", "rerank"]),
            ("/rerank", ["query", "texts"], ["query", "raw_scores", "return_text", "texts", "top_n", "truncate", "truncation_direction"]),
            ("/v1/rerank", ["documents", "query"], ["documents", "model", "query", "return_documents", "top_n"]),
        ];
        foreach (var (path, required, fields) in bodies)
        {
            var schema = doc[path]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!;
            Assert.Equal(required, schema["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order());
            Assert.Equal(fields, schema["properties"]!.AsObject().Select(p => p.Key).Order());
            Assert.False(schema["additionalProperties"]!.GetValue<bool>()); // unknown fields are refused with 422
        }
        Assert.NotNull(doc["/ready"]!["get"]!["responses"]!["503"]);
        var response = JsonNode.Parse(await _served.Client.GetStringAsync("/openapi/v1.json"))!["components"]!["schemas"]!["SearchResponse"]!;
        var requiredFields = response["required"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
        Assert.DoesNotContain("score_mode", requiredFields); // omitted when the first stage alone answers
        Assert.DoesNotContain("interpolation_weight", requiredFields);
        Assert.Contains("query", requiredFields);
    }
}
