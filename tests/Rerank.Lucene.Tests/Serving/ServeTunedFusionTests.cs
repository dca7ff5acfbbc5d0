using System.Text.Json.Nodes;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Serving;

/// <summary><c>serve</c> with a reranker that carries a tuned fusion: its hybrid stage fuses with it, as <c>search</c> does.</summary>
[Collection(TorchCollection.Name)]
public sealed class ServeTunedFusionTests(TunedFusionFixture f) : IClassFixture<TunedFusionFixture>
{
    [Fact]
    public async Task Serve_ModelWithTunedFusion_HybridStageRanksAsDenseWeightFlag()
    {
        await using var serve = await ServeProcess.StartAsync("--index", f.Index, "--reranker", f.TunedDense, "--max-length", "48", "--device", "cpu");
        Assert.Contains("min-max fusion, dense weight 1 tuned with the reranker)", serve.Error);
        var ready = JsonNode.Parse(await serve.Client.GetStringAsync("/ready"))!;
        Assert.Contains("dense weight 1 tuned with the reranker", ready["retrieval"]!.GetValue<string>());

        // A query whose BM25 and dense rankings differ in their top 10, so that weights 1 and 0.45 rank it differently.
        foreach (var query in new[] { SearchCommandTests.BroadQuery })
        {
            var served = JsonNode.Parse(await serve.Client.GetStringAsync($"/search?k=10&rerank=false&q={Uri.EscapeDataString(query)}"))!;
            Assert.Equal("hybrid", served["retrieval"]!.GetValue<string>());
            Assert.Equal("""{"method":"minmax","dense_weight":1,"tuned_with_reranker":true}""", served["fusion"]!.ToJsonString());
            var cli = await CliInvocation.SearchHost("search", "--index", f.Index, "--no-rerank", "--json", "--top", "10", "--device", "cpu", "--dense-weight", "1", "--", query);
            var byDefault = await CliInvocation.SearchHost("search", "--index", f.Index, "--no-rerank", "--json", "--top", "10", "--device", "cpu", "--", query);
            Assert.True(cli.ExitCode == 0 && byDefault.ExitCode == 0, cli + "\n" + byDefault);

            var ids = Ids(served);
            Assert.Equal(Ids(JsonNode.Parse(cli.Output)!), ids);
            Assert.Equal("""{"method":"minmax","dense_weight":1,"tuned_with_reranker":false}""", JsonNode.Parse(cli.Output)!["fusion"]!.ToJsonString());
            Assert.NotEqual(Ids(JsonNode.Parse(byDefault.Output)!), ids);
        }
    }

    private static List<string> Ids(JsonNode answer) => answer["hits"]!.AsArray().Select(h => h!["id"]!.GetValue<string>()).ToList();
}
