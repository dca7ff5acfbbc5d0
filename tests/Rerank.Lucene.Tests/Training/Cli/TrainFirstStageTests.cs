using System.Text.Json;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;

namespace Rerank.Lucene.Tests.Training.Cli;

/// <summary>
/// rerank-train mines and validates on the first stage the model will serve: hybrid (BM25 + the bundled
/// bi-encoder) when the index has document vectors, as search-host does; and a run that does not beat the
/// start leaves the starting model's settings exactly as they were.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainFirstStageTests(TinyTrainingRunFixture run) : IClassFixture<TinyTrainingRunFixture>
{
    private static readonly Lazy<string> VectorIndex = new(() =>
    {
        var index = Path.Combine(TestPaths.NewTempDir("train-hybrid"), "idx");
        using var encoder = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu" });
        IndexBuilder.Build(CorpusReader.ReadJsonl(Path.Combine(SampleCorpus.Folder, "corpus.jsonl")), index, new IndexOptions(Embedder: encoder));
        return index;
    });

    private string[] HybridArgs(string output, params string[] extra)
    {
        var args = run.Args(output, maxSteps: 2, extra: extra).ToList();
        args[args.IndexOf("--index") + 1] = VectorIndex.Value;
        return [.. args];
    }

    [Fact]
    public async Task Train_IndexWithVectors_MinesFromHybridCandidates()
    {
        var mined = run.Temp.Combine("hybrid-mined.jsonl");

        // A separate process: the log lines go to its standard error.
        using var child = ChildProcess.RerankTrain(null, "--index", VectorIndex.Value, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--mine-only", "--write-mined", mined, "--sampling", "top", "--range-min", "0", "--range-max", "10", "--negatives", "2", "--device", "cpu", "--threads", "1");
        var code = await child.WaitForExit(seconds: 180);

        Assert.True(code == 0, child.ToString());
        Assert.Contains("First stage for mining and validation: hybrid (BM25 top 100 + dense top 100 by all-MiniLM-L6-v2", child.Error);
        Assert.Contains("Hard-negative mining (hybrid ranks [0, 10)", child.Error);
        // Reference: the hybrid ranking as search-host ranks it; with --sampling top each positive's negatives are
        // the best-ranked non-positives of that ranking.
        using var bm25 = Bm25Searcher.Open(VectorIndex.Value);
        using var stages = FirstStages.Open(bm25, "hybrid", encoderOptions: new BiEncoderOptions { Device = "cpu" });
        var checkedGroups = 0;
        foreach (var line in File.ReadLines(mined))
        {
            using var group = JsonDocument.Parse(line);
            var positives = group.RootElement.GetProperty("positives").EnumerateArray().Select(p => p.GetProperty("id").GetString()!).ToHashSet();
            var negatives = group.RootElement.GetProperty("negatives").EnumerateArray().Select(n => n.GetProperty("id").GetString()!).Distinct().ToList();
            var ranking = stages.Chosen.Rank(group.RootElement.GetProperty("query").GetString()!, 10).Select(h => h.DocId).Where(id => !positives.Contains(id)).ToList();
            Assert.Equal(ranking.Take(negatives.Count), negatives);
            Assert.NotEmpty(negatives);
            checkedGroups++;
        }
        Assert.True(checkedGroups >= 8, $"{checkedGroups} groups");
    }

    [Fact]
    public async Task Train_IndexWithVectors_ValidatesOnHybridAndStoresTheWeightForHybrid()
    {
        var output = run.Temp.Combine("hybrid-trained");

        var result = await CliInvocation.RerankTrain(HybridArgs(output));

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, RerankerSettings.FileName)));
        Assert.Matches("^dev: [1-9][0-9]* queries, hybrid top 10, nDCG@10$", json.RootElement.GetProperty("tuned_on").GetString());
        Assert.Equal(json.RootElement.GetProperty("interpolation_weight").GetDouble(),
            json.RootElement.GetProperty("first_stage_weights").GetProperty("hybrid").GetDouble());
        Assert.Contains("| hybrid top 10 | ", File.ReadAllText(Path.Combine(output, "README.md")));
    }

    [Fact]
    public async Task Train_NotBetterThanTheStart_KeepsTheStartingSettingsUnchanged()
    {
        // A start with settings of its own (weights per first stage, passages): a run on 4 dev queries can never
        // beat it beyond noise (smallest exact p over 4 queries is 2/16), so the file must come back as it was.
        var start = Path.Combine(TestPaths.NewTempDir("train-start-settings"), "start");
        Directory.CreateDirectory(start);
        foreach (var file in Directory.GetFiles(run.Base)) File.Copy(file, Path.Combine(start, Path.GetFileName(file)));
        new RerankerSettings(0.35, "somewhere else", 48, "interpolate", new Dictionary<string, double> { ["hybrid"] = 0.15, ["bm25"] = 0.4 },
            new PassageOptions(PassageMode.Max, 50, 25)).Write(start);
        var output = run.Temp.Combine("start-settings-kept");
        var args = HybridArgs(output).Where(a => a != "--keep-trained").ToList();
        args[args.IndexOf("--base") + 1] = start;

        var result = await CliInvocation.RerankTrain([.. args]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("# Starting model kept\n", File.ReadAllText(Path.Combine(output, "README.md")));
        Assert.Equal(File.ReadAllText(Path.Combine(start, RerankerSettings.FileName)), File.ReadAllText(Path.Combine(output, RerankerSettings.FileName)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(start, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public async Task Train_SelfSupervised_ValidatesOnMaskedSourcesOfEveryRetrievedHeldOutDocument_AndTheCardSaysWhatWasMeasured()
    {
        // The sample's documents are short: BM25 ranks every held-out document first for its own sentence (the index still
        // holds it), which left no dev query before. Shown with the sentence removed, each retrieved source is a dev query.
        var output = run.Temp.Combine("self-supervised-masked");
        using var child = ChildProcess.RerankTrain(null, "--index", run.Index, "--self-supervised", "--output", output, "--base", run.Base,
            "--max-steps", "2", "--batch-size", "2", "--max-length", "48", "--dev-fraction", "0.5", "--device", "cpu", "--threads", "1",
            "--candidates", "20", "--dev-candidates", "20", "--keep-trained");
        var code = await child.WaitForExit(seconds: 180);

        Assert.True(code == 0, child.ToString());
        var devLine = System.Text.RegularExpressions.Regex.Match(child.Error,
            @"Self-supervised dev set: (\d+) inverse-cloze sentences of (\d+) held-out documents, each source shown with its sentence removed among bm25 top 20 \((\d+) not retrieved");
        Assert.True(devLine.Success, child.Error);
        var (kept, heldOut, notRetrieved) = (int.Parse(devLine.Groups[1].Value), int.Parse(devLine.Groups[2].Value), int.Parse(devLine.Groups[3].Value));
        Assert.Equal(20, heldOut); // half of the 40 documents with at least 30 words (the 41st is shorter)
        Assert.Equal(0, notRetrieved);
        Assert.Equal(heldOut, kept);
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.Contains("Self-supervised dev set: 20 queries, each an inverse-cloze sentence of a document held out of training", card);
        Assert.Contains("Measured: nDCG@10 of the cross-encoder alone (score mode replace)", card);
        Assert.Contains("| bm25 top 20 (inflated: the index still holds each query sentence; not compared) |", card);
        Assert.Contains($"| the starting model ({run.Base}), cross-encoder alone | replace |", card);
        Assert.Contains("| the fine-tuned model, cross-encoder alone | replace |", card);
    }

    [Fact]
    public async Task Train_SelfSupervisedNotBetterOnItsDevSet_KeepsTheStartAndDoesNotClaimARetuning()
    {
        // Each document twice, with identical title and text: for a sentence of a held-out copy the other copy, read
        // unmasked, still holds the sentence, so a fine-tune has little to gain there. Half of 14 documents held out: up to
        // 7 dev queries, enough (6 or more) for a fine-tune to be trained and compared at all. Nothing is tuned on a
        // self-supervised dev set, and the message must not say a re-tuning was tried.
        string[] texts =
        [
            "Coral reefs grow slowly in warm shallow seas. Their builders are tiny animals that secrete limestone skeletons. Rising water temperatures bleach the corals and starve them. Reefs shelter a quarter of all marine species despite covering little of the ocean floor.",
            "Glaciers carve deep valleys as they move downhill. The ice drags rocks that scrape the bedrock beneath it. When a glacier melts it leaves moraines of gravel and boulders behind. Many lakes in northern countries fill basins that glaciers dug.",
            "Vaccines train the immune system with a harmless piece of a pathogen. The body then makes antibodies and memory cells against it. A later infection is cleared before it can cause serious disease. Booster doses refresh the memory when protection wanes.",
            "Steam engines turned heat into motion by expanding water vapour in a cylinder. The piston pushed a crank that drove wheels or pumps. Early engines wasted most of their fuel as heat. Separate condensers made them far more efficient.",
            "Honeybees communicate the location of flowers with a waggle dance. The angle of the dance points toward the food relative to the sun. Its duration tells the other bees how far they must fly. Colonies collapse when pesticides impair this navigation.",
            "Volcanoes erupt when molten rock rises through cracks in the crust. Gas dissolved in the magma expands as the pressure drops. Ash clouds can ground aircraft far from the mountain. Lava flows cool into new land on island chains.",
            "Printing presses spread books across Europe within a few decades. Movable metal type let a shop set a page from reusable letters. Prices fell and literacy slowly rose among townspeople. Pamphlets carried new ideas faster than rulers could ban them.",
        ];
        string[] titles = ["Coral reefs", "Glaciers", "Vaccines", "Steam engines", "Honeybees", "Volcanoes", "Printing presses"];
        var folder = TestPaths.NewTempDir("train-selfsup-dev");
        var corpus = Path.Combine(folder, "corpus.jsonl");
        File.WriteAllLines(corpus, Enumerable.Range(0, texts.Length).SelectMany(i => new[] { $"d{i}a", $"d{i}b" }
            .Select(id => JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = id, ["title"] = titles[i], ["text"] = texts[i] }))));
        var index = Path.Combine(folder, "idx");
        IndexBuilder.Build(CorpusReader.ReadJsonl(corpus), index, new IndexOptions());
        var output = Path.Combine(folder, "model");

        using var child = ChildProcess.RerankTrain(null, "--index", index, "--self-supervised", "--output", output, "--base", run.Base,
            "--max-steps", "2", "--batch-size", "2", "--max-length", "48", "--dev-fraction", "0.5", "--range-min", "0",
            "--device", "cpu", "--threads", "1", "--candidates", "10", "--dev-candidates", "10");
        var code = await child.WaitForExit(seconds: 180);

        Assert.True(code == 0, child.ToString());
        Assert.Matches(@"Self-supervised dev set: [67] inverse-cloze sentences of 7 held-out documents, each source shown with its sentence removed among bm25 top 10", child.Error);
        Assert.Contains("nothing is tuned on a self-supervised dev set", child.Error);
        Assert.DoesNotContain("re-tun", child.Error);
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.StartsWith($"# Starting model kept\n\n`rerank-train` fine-tuned the starting model ({run.Base}) on this index, but", card);
        Assert.Contains("nothing is tuned on a self-supervised dev set", card);
        Assert.DoesNotContain("re-tun", card);
        Assert.Equal(File.ReadAllBytes(Path.Combine(run.Base, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
    }
}
