using System.Text.Json;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Reranking;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// What of each document the reranker reads, as a user sets it (the model's searchrerank.json, configuration, flags) and sees
/// it (search's "Reranker reads:" line, the "passages" object of --json). Configuration is set through SEARCHRERANK_* variables.
/// </summary>
[Collection(ProcessStateCollection.Name)]
public sealed class PassageSettingsCommandTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly string _model = TinyCrossEncoder.Create(seed: 5);

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_model)!, recursive: true);

    private static JsonElement Passages(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(Assert.Single(result.OutputLines));
        return json.RootElement.GetProperty("passages").Clone();
    }

    private Task<CliResult> Search(params string[] extra) =>
        CliInvocation.SearchHost(["search", "--index", sample.Index, "--reranker", _model, "--max-length", "48", "--device", "cpu", .. extra, "vaccines"]);

    [Fact]
    public async Task ModelsStoredSelection_ShownOnStandardErrorAndInJson()
    {
        File.WriteAllText(Path.Combine(_model, RerankerSettings.FileName), "{\"passages\": {\"mode\": \"max\", \"words\": 5, \"stride\": 3, \"select\": 1}}");

        var text = await Search();
        var json = Passages(await Search("--json"));

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("Reranker reads: max over the 1 5-word passage (stride 3) per document that best matches the query by BM25.\n", text.Error);
        Assert.Equal("""{"mode":"max","words":5,"stride":3,"select":1}""", json.GetRawText());
        // Without a stored setting the model reads the start of each document.
        File.Delete(Path.Combine(_model, RerankerSettings.FileName));
        Assert.Equal("""{"mode":"first"}""", Passages(await Search("--json")).GetRawText());
    }

    [Fact]
    public async Task ConfiguredSelection_ATypedPassagesFlagReplacesTheConfiguredPassagesAsAWhole()
    {
        using var mode = new EnvironmentVariableScope("SEARCHRERANK_SearchHost__Reranker__Passages", "max");
        using var select = new EnvironmentVariableScope("SEARCHRERANK_SearchHost__Reranker__PassageSelect", "3");

        Assert.Equal("""{"mode":"max","words":64,"stride":32,"select":3}""", Passages(await Search("--json")).GetRawText());
        Assert.Equal("""{"mode":"first"}""", Passages(await Search("--json", "--passages", "first")).GetRawText());
        Assert.Equal("""{"mode":"sum","words":64,"stride":32}""", Passages(await Search("--json", "--passages", "sum")).GetRawText());
    }

    [Fact]
    public async Task ConfiguredSelectionWithoutMaxOrSum_RefusedNamingTheSetting()
    {
        using var select = new EnvironmentVariableScope("SEARCHRERANK_SearchHost__Reranker__PassageSelect", "2");

        var result = await Search();

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--passage-select (SearchHost:Reranker:PassageSelect in configuration) splits documents", result.Error);
        Assert.DoesNotContain("--passage-words", result.Error);
        Assert.Contains("add --passages max (or sum)", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }
}
