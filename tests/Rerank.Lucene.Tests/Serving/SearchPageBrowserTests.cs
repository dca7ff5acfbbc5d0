using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;
using Search.Host.Serving;

namespace Rerank.Lucene.Tests.Serving;

/// <summary>
/// The search page in real headless Chromium (Debian's, driven by Playwright): a query typed into the box renders the
/// hits the API returns, in order, with the query terms marked and each hit's first-stage rank and move; the compare
/// toggle adds the first stage's own ranking beside it; the page asks nothing of any other origin.
/// SEARCHRERANK_PAGE_SCREENSHOT=FILE serves the repository's default reranker instead of the tiny one and saves a screenshot there (docs/search-page.png).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SearchPageBrowserTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    [BrowserFact]
    public async Task TypedQuery_RendersTheApisHits_WithMarksAndMoves_AndTheCompareToggleAddsTheFirstStage()
    {
        var screenshot = Environment.GetEnvironmentVariable("SEARCHRERANK_PAGE_SCREENSHOT");
        var tiny = screenshot is null ? TinyCrossEncoder.Create(seed: 9) : null;
        var model = tiny ?? Path.Combine(TestPaths.RepoRoot, "models", "default-reranker");
        try
        {
            await using var served = await ServedApp.StartAsync(new ServeOptions(), sample.Index, model);
            var origin = served.Client.BaseAddress!.ToString().TrimEnd('/');
            const string query = "baked bread rising with yeast";
            var api = JsonNode.Parse(await served.Client.GetStringAsync($"/search?k=10&q={Uri.EscapeDataString(query)}"))!["hits"]!.AsArray();
            var firstStage = JsonNode.Parse(await served.Client.GetStringAsync($"/search?k=10&rerank=false&q={Uri.EscapeDataString(query)}"))!["hits"]!.AsArray();
            Assert.True(api.Count >= 3, "the query should match several documents");

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = BrowserFactAttribute.ChromiumPath,
                Headless = true,
                // Containers often lack the user namespaces Chromium's sandbox needs.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
            var elsewhere = new List<string>();
            var errors = new List<string>();
            page.Request += (_, request) =>
            {
                if (!request.Url.StartsWith(origin, StringComparison.Ordinal)) elsewhere.Add(request.Url);
            };
            page.PageError += (_, error) => errors.Add(error);
            page.Console += (_, message) =>
            {
                if (message.Type == "error") errors.Add(message.Text);
            };

            await page.GotoAsync(origin + "/");
            await page.Locator("#q").PressSequentiallyAsync(query);
            await page.Keyboard.PressAsync("Enter");
            var items = page.Locator("#reranked li");
            await Assertions.Expect(items).ToHaveCountAsync(api.Count);

            for (var i = 0; i < api.Count; i++)
            {
                var hit = api[i]!;
                var item = items.Nth(i);
                Assert.Equal(hit["id"]!.GetValue<string>(), await item.GetAttributeAsync("data-id"));
                Assert.Equal(hit["title"]!.GetValue<string>(), await item.Locator(".title").InnerTextAsync());
                Assert.Equal(hit["snippet"]!.GetValue<string>(), await item.Locator(".snippet").InnerTextAsync());
                var firstRank = hit["first_stage_rank"]!.GetValue<int>();
                Assert.Equal($"bm25 rank {firstRank}", await item.Locator(".first-rank").InnerTextAsync());
                var moved = firstRank - hit["rank"]!.GetValue<int>();
                Assert.Equal(moved > 0 ? $"▲{moved}" : moved < 0 ? $"▼{-moved}" : "=", await item.Locator(".move").InnerTextAsync());
                // Marked words: exactly the ranges the API gave, cut from the snippet here.
                var snippet = hit["snippet"]!.GetValue<string>();
                var marks = hit["snippet_marks"]!.AsArray().Select(m => snippet[m![0]!.GetValue<int>()..m[1]!.GetValue<int>()]).ToArray();
                Assert.Equal(marks, await item.Locator(".snippet mark").AllInnerTextsAsync());
            }
            // cook-01 ("Baking bread at home") is marked on words a person would pick: stems of baked, bread, rising, yeast.
            var cook = items.Filter(new LocatorFilterOptions { Has = page.Locator(".title", new PageLocatorOptions { HasText = "Baking bread at home" }) });
            Assert.Equal(["Baking", "bread"], await cook.Locator(".title mark").AllInnerTextsAsync());
            Assert.Contains("yeast", await cook.Locator(".snippet mark").AllInnerTextsAsync());

            Assert.True(await page.Locator("#first-column").IsHiddenAsync());
            await page.Locator("#compare").CheckAsync();
            var firstItems = page.Locator("#first li");
            await Assertions.Expect(firstItems).ToHaveCountAsync(firstStage.Count);
            Assert.Equal(firstStage.Select(h => h!["id"]!.GetValue<string>()).ToArray(),
                await firstItems.EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.id)"));
            Assert.True(await page.Locator("#reranked-column").IsVisibleAsync());

            if (screenshot is not null)
            {
                // A query with more matches, where the reranker moves hits, for the docs.
                await page.Locator("#q").FillAsync("how do search engines find documents that match words?");
                await page.Keyboard.PressAsync("Enter");
                await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("search engines");
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = false });
            }

            // A query with a problem shows the service's detail, not a blank page.
            await page.Locator("#q").FillAsync(new string('x', 1001));
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Serve:MaxQueryLength");

            Assert.Empty(elsewhere);
            Assert.DoesNotContain(errors, e => !e.Contains("422", StringComparison.Ordinal));
        }
        finally
        {
            if (tiny is not null) Directory.Delete(Path.GetDirectoryName(tiny)!, recursive: true);
        }
    }
}
