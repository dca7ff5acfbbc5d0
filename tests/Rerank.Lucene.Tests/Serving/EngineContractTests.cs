using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;
using Search.Host.Serving;

namespace Rerank.Lucene.Tests.Serving;

/// <summary>
/// The requests Elasticsearch and OpenSearch send when configured as in docs/SCALING.md, replayed byte for byte as their
/// code and documentation give them, and our answers checked against what their parsers require. No engine runs here:
/// these are the contracts, read from the engines' sources, not the engines themselves.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class EngineContractTests : IAsyncLifetime
{
    private const string Key = "engine-contract-key-0123";
    private readonly string _model = TinyCrossEncoder.Create(seed: 12);
    private ServedApp _served = null!;

    public async Task InitializeAsync() => _served = await ServedApp.StartAsync(new ServeOptions { ApiKey = Key }, index: null, _model);

    public async Task DisposeAsync()
    {
        await _served.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_model)!, recursive: true);
    }

    private float[] Reference(string query, IReadOnlyList<string> texts)
    {
        using var encoder = CrossEncoder.Load(_model);
        return encoder.Predict(query, texts);
    }

    private async Task<JsonElement> Send(string path, string body, Action<HttpRequestHeaders> auth)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        auth(request.Headers);
        using var response = await _served.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    // Elasticsearch's hugging_face service, rerank task (HuggingFaceRerankRequestEntity): "texts", "query", then
    // "return_text" and "top_n" when set; Authorization: Bearer <api_key>. The texts are the docs' rerank example.
    private static readonly string[] StarWars = ["luke", "like", "leia", "chewy", "r2d2", "star", "wars"];

    public static TheoryData<string, bool, int?> ElasticsearchBodies => new()
    {
        { """{"texts":["luke","like","leia","chewy","r2d2","star","wars"],"query":"star wars main character"}""", false, null },
        { """{"texts":["luke","like","leia","chewy","r2d2","star","wars"],"query":"star wars main character","return_text":true,"top_n":3}""", true, 3 },
        { """{"texts":["luke","like","leia","chewy","r2d2","star","wars"],"query":"star wars main character","return_text":false}""", false, null },
    };

    [Theory]
    [MemberData(nameof(ElasticsearchBodies))]
    public async Task ElasticsearchHuggingFaceRerank_GetsTheArrayItsParserReads(string body, bool returnText, int? topN)
    {
        var answer = await Send("/rerank", body, h => h.Authorization = new AuthenticationHeaderValue("Bearer", Key));
        var reference = Reference("star wars main character", StarWars);
        // HuggingFaceRerankResponseEntity: a top-level array of objects with "index" (integer), "score" (number) and,
        // when asked for, "text"; it fails on a missing field. It ranks by score itself; we send them best first anyway.
        Assert.Equal(JsonValueKind.Array, answer.ValueKind);
        Assert.Equal(topN ?? StarWars.Length, answer.GetArrayLength());
        var expected = Enumerable.Range(0, StarWars.Length).OrderByDescending(i => reference[i]).ThenBy(i => i).Take(topN ?? StarWars.Length).ToArray();
        Assert.Equal(expected, answer.EnumerateArray().Select(r => r.GetProperty("index").GetInt32()));
        foreach (var result in answer.EnumerateArray())
        {
            var names = result.EnumerateObject().Select(p => p.Name).ToArray();
            Assert.Equal(returnText ? ["index", "score", "text"] : ["index", "score"], names);
            var index = result.GetProperty("index").GetInt32();
            Assert.Equal(reference[index], (float)result.GetProperty("score").GetDouble());
            if (returnText) Assert.Equal(StarWars[index], result.GetProperty("text").GetString());
        }
    }

    // OpenSearch's rerank processor (ml_opensearch) calls the remote model with query_text and text_docs;
    // connector.pre_process.cohere.rerank turns them into parameters query, documents (a JSON array) and top_n (their count),
    // and the connector's request_body in docs/SCALING.md substitutes them. The texts are the ML Commons rerank tutorial's.
    private static readonly string[] Capitals =
    [
        "Carson City is the capital city of the American state of Nevada.",
        "The Commonwealth of the Northern Mariana Islands is a group of islands in the Pacific Ocean. Its capital is Saipan.",
        "Washington, D.C. (also known as simply Washington or D.C., and officially as the District of Columbia) is the capital of the United States. It is a federal district.",
        "Capital punishment (the death penalty) has existed in the United States since beforethe United States was a country. As of 2017, capital punishment is legal in 30 of the 50 states.",
    ];

    [Fact]
    public async Task OpenSearchCohereRerankConnector_GetsTheResultsItsPostProcessFunctionReads()
    {
        const string query = "What is the capital city of America?";
        var body = "{ \"documents\": " + JsonSerializer.Serialize(Capitals) + ", \"query\": \"" + query + "\", \"top_n\": " + Capitals.Length + " }";
        var raw = await SendRaw("/v1/rerank", body, h => h.Add("X-API-Key", Key));
        var answer = JsonDocument.Parse(raw).RootElement;
        var reference = Reference(query, Capitals);

        // connector.post_process.cohere.rerank: JSON path $.results, each item a map with "index" (read as Integer) and
        // "relevance_score" (read as Double), written into an array as long as the results: so every document, each index once.
        var results = answer.GetProperty("results");
        Assert.Equal(Capitals.Length, results.GetArrayLength());
        Assert.Equal(Enumerable.Range(0, Capitals.Length), results.EnumerateArray().Select(r => r.GetProperty("index").GetInt32()).Order());
        foreach (var result in results.EnumerateArray())
        {
            Assert.Equal(["index", "relevance_score"], result.EnumerateObject().Select(p => p.Name));
            var index = result.GetProperty("index");
            Assert.DoesNotContain('.', index.GetRawText()); // an integer token
            var score = result.GetProperty("relevance_score");
            Assert.True(score.GetRawText().IndexOfAny(['.', 'e', 'E']) >= 0, $"relevance_score {score.GetRawText()} would be read as an Integer, not a Double");
            Assert.Equal(reference[index.GetInt32()], (float)score.GetDouble());
        }
        var scores = results.EnumerateArray().Select(r => r.GetProperty("relevance_score").GetDouble()).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
    }

    private async Task<string> SendRaw(string path, string body, Action<HttpRequestHeaders> auth)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        auth(request.Headers);
        using var response = await _served.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return text;
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(0.25, "0.25")]
    [InlineData(1e-7, "1E-07")]
    public void CohereScores_AlwaysCarryADecimalPointOrExponent(double score, string written)
    {
        var json = JsonSerializer.Serialize(new CohereRerankResult(0, score, null));
        Assert.Contains($"\"relevance_score\":{written}", json);
        Assert.Equal(score, JsonDocument.Parse(json).RootElement.GetProperty("relevance_score").GetDouble());
    }
}
