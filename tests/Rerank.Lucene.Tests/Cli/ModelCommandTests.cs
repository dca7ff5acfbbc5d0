using System.Text.Json;
using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Cli;

/// <summary><c>search-host model import-minilm</c> run once (about 90 MB written) for the tests that use its folder.</summary>
public sealed class ImportedMiniLmFixture : IDisposable
{
    private readonly TempFolder _temp = new("cli-minilm");

    public ImportedMiniLmFixture()
    {
        Folder = _temp.Combine("models", "minilm-l6");
        Result = CliInvocation.SearchHost("model", "import-minilm", "--output", Folder).GetAwaiter().GetResult();
    }

    /// <summary>The output folder given to the command.</summary>
    public string Folder { get; }

    /// <summary>What the import printed.</summary>
    internal CliResult Result { get; }

    public void Dispose() => _temp.Dispose();
}

/// <summary>
/// The imported base encoder, and the refusal to rank with it (no classifier head). Torch collection:
/// loading a model folder builds modules, which draws from the global generator.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ModelCommandTests(ImportedMiniLmFixture minilm, SampleIndexFixture sample)
    : IClassFixture<ImportedMiniLmFixture>, IClassFixture<SampleIndexFixture>
{
    [Fact]
    public void ModelImportMiniLm_NewFolder_WritesBaseModelFolder()
    {
        Assert.True(minilm.Result.ExitCode == 0, minilm.Result.ToString());
        Assert.Equal($"Wrote the MiniLM-L6 base encoder to {minilm.Folder}\n", minilm.Result.Output);
        Assert.Equal(["config.json", "model.safetensors", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"],
            Directory.GetFiles(minilm.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(minilm.Folder, "config.json")));
        Assert.Equal("BertModel", config.RootElement.GetProperty("architectures")[0].GetString());
        Assert.Equal(384, config.RootElement.GetProperty("hidden_size").GetInt32());
        // bert-base-uncased's vocabulary; about 22.7 M float32 weights.
        Assert.Equal(30522, File.ReadLines(Path.Combine(minilm.Folder, "vocab.txt")).Count());
        Assert.InRange(new FileInfo(Path.Combine(minilm.Folder, "model.safetensors")).Length, 80_000_000, 100_000_000);
        // Nothing left beside it (no staging folder).
        Assert.Equal(["minilm-l6"], Directory.GetFileSystemEntries(Path.GetDirectoryName(minilm.Folder)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ModelImportMiniLm_ExistingFolderWithoutOverwrite_ExitsTwoAndKeepsIt()
    {
        var config = Path.Combine(minilm.Folder, "config.json");
        var written = File.GetLastWriteTimeUtc(config);

        var result = await CliInvocation.SearchHost("model", "import-minilm", "--output", minilm.Folder);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: '{minilm.Folder}' already holds a model folder. Pass --overwrite to replace it, or choose another --output folder.\n", result.Error);
        Assert.Equal("", result.Output);
        Assert.Equal(written, File.GetLastWriteTimeUtc(config));
    }

    [Fact]
    public async Task Search_RerankerWithoutClassifierHead_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--reranker", minilm.Folder, "vaccines");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: '{Path.Combine(minilm.Folder, "model.safetensors")}' has no classifier head (classifier.weight, classifier.bias): it is an encoder-only checkpoint. " +
            "Ranking needs a trained cross-encoder; fine-tune this encoder first (rerank-train) or point to a cross-encoder model folder.\n", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Eval_RerankerWithoutClassifierHead_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.SearchHost("eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--reranker", minilm.Folder, "--json");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: '{Path.Combine(minilm.Folder, "model.safetensors")}' has no classifier head ", result.Error);
        Assert.Equal("", result.Output);
    }
}
