using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;

namespace Rerank.Lucene.Tests.Serving;

/// <summary>
/// <c>search-host serve</c> started as a command (in-process, on a free loopback port) against the sample index and a tiny
/// seeded cross-encoder: its /search answers equal <c>search-host search --json</c>'s for the same query and flags, and its
/// /rerank scores equal the encoder's own, computed here without the service.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ServeSearchTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly string _model = TinyCrossEncoder.Create(seed: 7);

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_model)!, recursive: true);

    private static IEnumerable<string> Queries() =>
        File.ReadLines(SampleCorpus.Queries).Select(l => JsonNode.Parse(l)!["text"]!.GetValue<string>())
            .Concat(["-vaccine immune", "naïve café résumé", "the of and", "\"quoted\" AND (brackets)"]);

    /// <summary>Every field <c>search --json</c> writes is present with the same value; the only extra fields are the marks.</summary>
    private static void AssertSameAsCli(JsonNode expected, JsonNode actual, string what)
    {
        Assert.Equal(expected["query"]!.GetValue<string>(), actual["query"]!.GetValue<string>());
        Assert.Equal(expected["retrieval"]!.GetValue<string>(), actual["retrieval"]!.GetValue<string>());
        // Every top-level field of search --json (fusion, the reranker's engine and precision...) with the same value; HTTP adds only how it ranked.
        foreach (var (name, value) in expected.AsObject().Where(p => p.Key != "hits"))
            Assert.True(actual.AsObject().ContainsKey(name) && JsonNode.DeepEquals(value, actual[name]), $"{what}, '{name}': CLI {value?.ToJsonString()}, HTTP {actual[name]?.ToJsonString() ?? "missing"}");
        Assert.Empty(actual.AsObject().Select(p => p.Key).Except(expected.AsObject().Select(p => p.Key)).Except(["reranked", "score_mode", "interpolation_weight"]));
        // The query embedder (dense and hybrid only): the same object, or absent on both sides.
        Assert.True(JsonNode.DeepEquals(expected["embedder"], actual["embedder"]) && expected.AsObject().ContainsKey("embedder") == actual.AsObject().ContainsKey("embedder"),
            $"{what}: embedder CLI {expected["embedder"]?.ToJsonString() ?? "absent"}, HTTP {actual["embedder"]?.ToJsonString() ?? "absent"}");
        var want = expected["hits"]!.AsArray();
        var got = actual["hits"]!.AsArray();
        Assert.True(want.Count == got.Count, $"{what}: {got.Count} hits over HTTP, {want.Count} from the CLI");
        for (var i = 0; i < want.Count; i++)
        {
            var w = want[i]!.AsObject();
            var g = got[i]!.AsObject();
            foreach (var (name, value) in w)
                Assert.True(JsonNode.DeepEquals(value, g[name]) && g.ContainsKey(name), $"{what}, hit {i + 1}, '{name}': CLI {value?.ToJsonString() ?? "null"}, HTTP {g[name]?.ToJsonString() ?? "missing"}");
            Assert.Empty(g.Select(p => p.Key).Except(w.Select(p => p.Key)).Except(["snippet_marks", "title_marks"]));
        }
    }

    [Fact]
    public async Task Search_WithOffsetAndHighlight_OverHttp_EqualsSearchJson_GetAndPost_RerankedAndNot()
    {
        // offset 3, k 4: hits 4-7, across the rescore window's edge (--candidates 5) when reranked.
        string[] flags = ["--index", sample.Index, "--reranker", _model, "--candidates", "5", "--max-length", "48"];
        await using var serve = await ServeProcess.StartAsync(flags);
        var pagedHits = 0;
        var marked = 0;
        foreach (var query in Queries())
        {
            foreach (var rerank in new[] { true, false })
            {
                string[] pipeline = rerank ? flags : ["--index", sample.Index, "--no-rerank"];
                var cli = await CliInvocation.SearchHost(["search", .. pipeline, "--top", "4", "--offset", "3", "--highlight", "--json", "--", query]);
                Assert.True(cli.ExitCode == 0, cli.ToString());
                var expected = JsonNode.Parse(cli.Output)!;
                var what = $"{(rerank ? "reranked" : "rerank=false")} '{query}'";
                var get = JsonNode.Parse(await serve.Client.GetStringAsync(
                    $"/search?k=4&offset=3&highlight=true&rerank={(rerank ? "true" : "false")}&q={Uri.EscapeDataString(query)}"))!;
                AssertSameAsCli(expected, get, $"GET {what}");
                var post = await serve.Client.PostAsJsonAsync("/search", new { query, k = 4, offset = 3, highlight = true, rerank });
                Assert.Equal(HttpStatusCode.OK, post.StatusCode);
                AssertSameAsCli(expected, JsonNode.Parse(await post.Content.ReadAsStringAsync())!, $"POST {what}");

                // Independently of the paging code: the page is hits 4-7 of the CLI's unpaged top 7, ranks absolute.
                var deep = await CliInvocation.SearchHost(["search", .. pipeline, "--top", "7", "--json", "--", query]);
                Assert.True(deep.ExitCode == 0, deep.ToString());
                var page = get["hits"]!.AsArray();
                Assert.Equal(JsonNode.Parse(deep.Output)!["hits"]!.AsArray().Skip(3).Select(h => (h!["rank"]!.GetValue<int>(), h["id"]!.GetValue<string>())),
                    page.Select(h => (h!["rank"]!.GetValue<int>(), h["id"]!.GetValue<string>())));
                pagedHits += page.Count;
                foreach (var hit in page)
                {
                    Assert.NotNull(hit!["highlights"]);
                    Assert.NotNull(hit["title_highlights"]);
                    marked += hit["highlights"]!.AsArray().Count(f => f!["fragment"]!.GetValue<string>().Contains("<b>", StringComparison.Ordinal));
                }
            }
        }
        Assert.True(pagedHits > 40, $"only {pagedHits} paged hits compared");
        Assert.True(marked > 20, $"only {marked} highlighted fragments with a marked term");

        // Without highlight, no highlight fields (as search --json without --highlight).
        var plain = JsonNode.Parse(await serve.Client.GetStringAsync("/search?k=2&offset=1&q=bread"))!["hits"]!.AsArray();
        Assert.All(plain, h => Assert.False(h!.AsObject().ContainsKey("highlights") || h.AsObject().ContainsKey("title_highlights")));

        // An offset past the last hit: an empty page, as the CLI prints it (the sample has 41 documents).
        foreach (var rerank in new[] { true, false })
        {
            string[] pipeline = rerank ? flags : ["--index", sample.Index, "--no-rerank"];
            var cli = await CliInvocation.SearchHost(["search", .. pipeline, "--top", "10", "--offset", "60", "--json", "--", "bread"]);
            Assert.True(cli.ExitCode == 0, cli.ToString());
            var expected = JsonNode.Parse(cli.Output)!;
            Assert.Empty(expected["hits"]!.AsArray());
            var get = JsonNode.Parse(await serve.Client.GetStringAsync($"/search?k=10&offset=60&rerank={(rerank ? "true" : "false")}&q=bread"))!;
            AssertSameAsCli(expected, get, $"GET offset past the end, rerank={rerank}");
            var post = await serve.Client.PostAsJsonAsync("/search", new { query = "bread", k = 10, offset = 60, rerank });
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            AssertSameAsCli(expected, JsonNode.Parse(await post.Content.ReadAsStringAsync())!, $"POST offset past the end, rerank={rerank}");
        }
    }

    [Fact]
    public async Task Search_OverHttp_EqualsSearchJson_GetAndPost_RerankedAndNot_WithTheWindowTail()
    {
        // --candidates 5 below k = 8: hits 6-8 come after the reranked window in BM25 order with no cross-encoder score, on both sides.
        string[] flags = ["--index", sample.Index, "--reranker", _model, "--candidates", "5", "--max-length", "48"];
        await using var serve = await ServeProcess.StartAsync(flags);
        var checkedHits = 0;
        foreach (var query in Queries())
        {
            var cli = await CliInvocation.SearchHost(["search", .. flags, "--top", "8", "--json", "--", query]);
            Assert.True(cli.ExitCode == 0, cli.ToString());
            var expected = JsonNode.Parse(cli.Output)!;
            var get = JsonNode.Parse(await serve.Client.GetStringAsync($"/search?k=8&q={Uri.EscapeDataString(query)}"))!;
            AssertSameAsCli(expected, get, $"GET '{query}'");
            var post = await serve.Client.PostAsJsonAsync("/search", new { query, k = 8 });
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            AssertSameAsCli(expected, JsonNode.Parse(await post.Content.ReadAsStringAsync())!, $"POST '{query}'");
            checkedHits += expected["hits"]!.AsArray().Count;

            var bm25 = await CliInvocation.SearchHost(["search", "--index", sample.Index, "--no-rerank", "--top", "8", "--json", "--", query]);
            Assert.True(bm25.ExitCode == 0, bm25.ToString());
            var plain = JsonNode.Parse(await serve.Client.GetStringAsync($"/search?k=8&rerank=false&q={Uri.EscapeDataString(query)}"))!;
            AssertSameAsCli(JsonNode.Parse(bm25.Output)!, plain, $"GET rerank=false '{query}'");
            Assert.False(plain["reranked"]!.GetValue<bool>());
        }
        Assert.True(checkedHits > 50, $"only {checkedHits} hits compared");
        Assert.Equal(130, await serve.StopAsync());
        Assert.Contains("cancelled: the server stopped after finishing its in-flight requests.", serve.Error);
    }

    [Fact]
    public async Task Search_OverHttp_EqualsSearchJson_WithTheHybridFirstStage()
    {
        // An index with the bundled bi-encoder's vectors: the default first stage is then hybrid, on both sides.
        using var temp = new TempFolder("serve-hybrid");
        var index = temp.Combine("idx");
        var built = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(built.ExitCode == 0, built.ToString());
        string[] flags = ["--index", index, "--reranker", _model, "--candidates", "10", "--max-length", "48", "--fusion", "rrf"];
        await using var serve = await ServeProcess.StartAsync(flags);
        foreach (var query in Queries().Take(6))
        {
            var cli = await CliInvocation.SearchHost(["search", .. flags, "--json", "--", query]);
            Assert.True(cli.ExitCode == 0, cli.ToString());
            var expected = JsonNode.Parse(cli.Output)!;
            Assert.Equal("hybrid", expected["retrieval"]!.GetValue<string>());
            Assert.Equal("""{"engine":"onnxruntime","precision":"fp32"}""", expected["embedder"]!.ToJsonString());
            AssertSameAsCli(expected, JsonNode.Parse(await serve.Client.GetStringAsync($"/search?q={Uri.EscapeDataString(query)}"))!, $"hybrid '{query}'");
        }
    }

    /// <summary>
    /// An index rebuilt in place (index --overwrite) at another embedder precision while serve runs: the next query reloads the
    /// query embedder at the new precision, answers as a freshly started search does, and /ready names it; when it cannot be
    /// reloaded (int8 vectors on the TorchSharp engine), /ready and /search answer 503 saying to restart, not 422. Serve writes
    /// the reopen and the reload to standard error, as search does.
    /// </summary>
    [Fact]
    public async Task Search_IndexRebuiltAtAnotherPrecision_ReloadsTheEmbedder_Or503WhenItCannot()
    {
        using var temp = new TempFolder("serve-reprecision");
        var index = temp.Combine("idx");
        var built = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(built.ExitCode == 0, built.ToString());
        string[] flags = ["--index", index, "--no-rerank", "--retrieval", "dense"];
        await using var serve = await ServeProcess.StartAsync(flags);
        await using var torch = await ServeProcess.StartAsync([.. flags, "--engine", "torchsharp"]);
        const string query = "vaccines and the immune system";
        Assert.Contains("onnxruntime fp32", (await serve.Client.GetStringAsync("/ready")));
        Assert.Equal(HttpStatusCode.OK, (await torch.Client.GetAsync($"/search?q={Uri.EscapeDataString(query)}")).StatusCode);

        var rebuilt = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--overwrite", "--precision", "int8");
        Assert.True(rebuilt.ExitCode == 0, rebuilt.ToString());

        // Reference: a search started after the rebuild, which loads the int8 embedder from the start.
        var cli = await CliInvocation.SearchHost(["search", .. flags, "--json", "--", query]);
        Assert.True(cli.ExitCode == 0, cli.ToString());
        var answer = await serve.Client.GetAsync($"/search?q={Uri.EscapeDataString(query)}");
        Assert.True(answer.StatusCode == HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        AssertSameAsCli(JsonNode.Parse(cli.Output)!, JsonNode.Parse(await answer.Content.ReadAsStringAsync())!, "after the int8 rebuild");
        Assert.Equal("int8", JsonNode.Parse(cli.Output)!["embedder"]!["precision"]!.GetValue<string>());
        var ready = JsonNode.Parse(await serve.Client.GetStringAsync("/ready"))!;
        Assert.Equal("ready", ready["status"]!.GetValue<string>());
        Assert.Contains("on onnxruntime int8", ready["retrieval"]!.GetValue<string>());
        // The operator reads the same lines search prints: the reopen, and the embedder loaded for the new vectors.
        Assert.Contains($"index was rebuilt; reopened '{index}' ", serve.Error);
        Assert.Matches(@"query embedder reloaded for the rebuilt index's vectors: .+ on onnxruntime int8 \(was onnxruntime fp32\)\.", serve.Error);

        var notReady = await torch.Client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var detail = JsonNode.Parse(await notReady.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();
        Assert.Contains("Restart search-host", detail);
        Assert.Contains("int8", detail);
        var refused = await torch.Client.GetAsync($"/search?q={Uri.EscapeDataString(query)}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("Restart search-host", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Search_OverHttp_EqualsSearchJson_WithPassages()
    {
        // Documents scored as their best 8-word window (BERT-MaxP): the service sends every window's pair through the batcher.
        string[] flags = ["--index", sample.Index, "--reranker", _model, "--max-length", "48", "--passages", "max", "--passage-words", "8", "--passage-stride", "4"];
        await using var serve = await ServeProcess.StartAsync(flags);
        foreach (var query in Queries().Take(6))
        {
            var cli = await CliInvocation.SearchHost(["search", .. flags, "--json", "--", query]);
            Assert.True(cli.ExitCode == 0, cli.ToString());
            AssertSameAsCli(JsonNode.Parse(cli.Output)!, JsonNode.Parse(await serve.Client.GetStringAsync($"/search?q={Uri.EscapeDataString(query)}"))!, $"passages '{query}'");
        }
    }

    [Fact]
    public async Task Search_WithFilters_EqualsSearchJsonWithTheSameFilters_BadFilterIs422()
    {
        // The sample corpus with two kept fields; every third document is German, years run 2015-2024.
        using var temp = new TempFolder("serve-filter");
        var corpus = temp.Combine("corpus.jsonl");
        File.WriteAllLines(corpus, File.ReadLines(SampleCorpus.Corpus).Select((line, i) =>
        {
            var doc = JsonNode.Parse(line)!.AsObject();
            doc["lang"] = i % 3 == 0 ? "de" : "en";
            doc["year"] = 2015 + i % 10;
            return doc.ToJsonString();
        }));
        var index = temp.Combine("idx");
        var built = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--embedder", "none");
        Assert.True(built.ExitCode == 0, built.ToString());
        string[] flags = ["--index", index, "--reranker", _model, "--candidates", "5", "--max-length", "48"];
        await using var serve = await ServeProcess.StartAsync(flags);
        var compared = 0;
        foreach (var query in Queries().Take(8))
        {
            var cli = await CliInvocation.SearchHost(["search", .. flags, "--filter", "lang=en", "--filter", "year>=2018", "--top", "6", "--json", "--", query]);
            Assert.True(cli.ExitCode == 0, cli.ToString());
            var expected = JsonNode.Parse(cli.Output)!;
            var get = JsonNode.Parse(await serve.Client.GetStringAsync($"/search?k=6&filter=lang%3Den&filter=year%3E%3D2018&q={Uri.EscapeDataString(query)}"))!;
            AssertSameAsCli(expected, get, $"GET filtered '{query}'");
            var post = await serve.Client.PostAsJsonAsync("/search", new { query, k = 6, filter = new[] { "lang=en", "year>=2018" } });
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            AssertSameAsCli(expected, JsonNode.Parse(await post.Content.ReadAsStringAsync())!, $"POST filtered '{query}'");
            compared += expected["hits"]!.AsArray().Count;
        }
        Assert.True(compared > 10, $"only {compared} filtered hits compared");

        foreach (var bad in new[] { "lang==en", "colour=red", "year>=soon" })
        {
            var answer = await serve.Client.GetAsync($"/search?q=vaccines&filter={Uri.EscapeDataString(bad)}");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.StatusCode);
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Rerank_ScoresAreTheEncodersOwn_SortedBestFirst_RawScoresAreLogits_TextReturnedOnRequest()
    {
        string[] texts =
        [
            "Yeast ferments sugar; the gas makes dough rise.",
            "The moon pulls the oceans.",
            "A vaccine trains the immune system to recognise a pathogen.",
            "Rayleigh scattering: shorter wavelengths scatter more strongly.",
            "",
        ];
        const string query = "why does bread rise?";
        float[] reference;
        using (var encoder = CrossEncoder.Load(_model, new CrossEncoderOptions { MaxLength = 48 })) reference = encoder.Predict(query, texts);

        // No index: /rerank alone.
        await using var serve = await ServeProcess.StartAsync("--reranker", _model, "--max-length", "48");
        var response = await serve.Client.PostAsJsonAsync("/rerank", new { query, texts, return_text = true, truncate = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(texts.Length, results.Count);
        var expectedOrder = Enumerable.Range(0, texts.Length).OrderByDescending(i => reference[i]).ThenBy(i => i).ToArray();
        Assert.Equal(expectedOrder, results.Select(r => r!["index"]!.GetValue<int>()));
        foreach (var r in results)
        {
            var i = r!["index"]!.GetValue<int>();
            Assert.Equal(reference[i], (float)r["score"]!.GetValue<double>());
            Assert.Equal(texts[i], r["text"]!.GetValue<string>());
        }

        var raw = JsonNode.Parse(await (await serve.Client.PostAsJsonAsync("/rerank", new { query, texts, raw_scores = true, truncate = true })).Content.ReadAsStringAsync())!.AsArray();
        foreach (var r in raw)
        {
            var i = r!["index"]!.GetValue<int>();
            Assert.Null(r["text"]);
            // sigmoid(logit) gives back the probability the model wrote.
            Assert.Equal(reference[i], 1 / (1 + Math.Exp(-r["score"]!.GetValue<double>())), 6);
        }

        var search = await serve.Client.GetAsync("/search?q=bread");
        Assert.Equal(HttpStatusCode.NotFound, search.StatusCode);
        Assert.Contains("--index", await search.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Search_MarksTheSnippetWordsWhoseStemIsAQueryTerm()
    {
        await using var serve = await ServeProcess.StartAsync("--index", sample.Index, "--no-rerank");
        var answer = JsonNode.Parse(await serve.Client.GetStringAsync("/search?q=baked+breads+rising&k=3"))!;
        var hit = answer["hits"]!.AsArray().First(h => h!["id"]!.GetValue<string>() == "cook-01")!;
        string[] Marked(string field) => hit[$"{field}_marks"]!.AsArray()
            .Select(m => hit[field]!.GetValue<string>()[m![0]!.GetValue<int>()..m[1]!.GetValue<int>()]).ToArray();
        // By hand: Porter stems bake, bread, rise; the title "Baking bread at home" and the snippet's "Bread dough rises ...".
        Assert.Equal(["Baking", "bread"], Marked("title"));
        Assert.Equal(["Bread", "rises"], Marked("snippet"));
    }
}
