using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Training.Cli;

/// <summary>
/// rerank-train never ships a model worse than where it started: with the sample's 4 dev queries no
/// difference can be significant (the smallest exact randomization p-value over 4 queries is 2/16),
/// so the starting model must come back, unchanged, with a card that says why.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StartComparisonTests(TinyTrainingRunFixture run) : IClassFixture<TinyTrainingRunFixture>
{
    /// <summary>The fixture's arguments without --keep-trained (4 dev queries, too few for any change to be kept).</summary>
    private string[] ArgsKeepingStart(string output, params string[] extra) =>
        [.. run.Args(output, maxSteps: 3, extra: extra).Where(a => a != "--keep-trained")];

    /// <summary>
    /// <see cref="ArgsKeepingStart"/> with half of the 12 queries held out: 6 dev queries, whose smallest exact p (2/64)
    /// is below 0.05, so a fine-tune is trained and compared.
    /// </summary>
    private string[] ArgsTrainingAndComparing(string output, params string[] extra)
    {
        var args = ArgsKeepingStart(output, extra);
        args[Array.IndexOf(args, "--dev-fraction") + 1] = "0.5";
        return args;
    }

    [Fact]
    public async Task Train_NotBetterThanTheStartOnDev_SavesTheStartingWeightsAndSaysSo()
    {
        var output = run.Temp.Combine("kept-start");

        var result = await CliInvocation.RerankTrain(ArgsTrainingAndComparing(output));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(run.Base, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        Assert.Equal(File.ReadAllText(Path.Combine(run.Base, "config.json")), File.ReadAllText(Path.Combine(output, "config.json")));
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.StartsWith("# Starting model kept\n", card);
        Assert.Matches(@"paired randomization test p = (0\.[1-9]\d\d|1\.000)", card);
        Assert.Contains("95% CI", card);
        Assert.Contains("## The fine-tuning run that was not kept", card);
        Assert.Contains("searchrerank.json", Directory.GetFiles(output).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Train_StartKept_ItsOwnCardStaysWithItsWeights()
    {
        // A start with its own card (front matter, provenance): the kept folder holds the start's weights, so its card too.
        var start = run.Temp.Combine("start-with-card");
        Directory.CreateDirectory(start);
        foreach (var file in Directory.GetFiles(run.Base)) File.Copy(file, Path.Combine(start, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(start, "README.md"), "---\nlicense: apache-2.0\n---\n# Tiny reranker\n\nTrained on licence-free toy data.\n\n## Results\n\nnone\n");
        var output = run.Temp.Combine("kept-start-card");
        var args = ArgsKeepingStart(output);
        args[Array.IndexOf(args, "--base") + 1] = start;

        var result = await CliInvocation.RerankTrain(args);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(start, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        // Its metadata (front matter) stays at the top, where the Hub reads it; its text follows the kept card's, one level down.
        Assert.StartsWith("---\nlicense: apache-2.0\n---\n# Starting model kept\n", card);
        Assert.Contains("\n## The starting model's own card\n\n### Tiny reranker\n\nTrained on licence-free toy data.\n\n#### Results\n", card);
    }

    [Fact]
    public async Task Train_TooFewDevQueriesToKeepAFineTune_SaysSoAndKeepsTheStartWithoutTraining()
    {
        // A separate process: the warning is logged, and logging goes to the process's standard error.
        var output = run.Temp.Combine("too-few-dev");
        using var child = ChildProcess.RerankTrain(null, [.. ArgsKeepingStart(output), "--threads", "1", "--keep-checkpoints"]);
        var code = await child.WaitForExit(seconds: 180);

        Assert.True(code == 0, child.ToString());
        // The hand-computed floor over the sample's 4 dev queries is 2/2^4 = 0.125; 6 queries reach 2/64 = 0.031 < 0.05.
        var warning = "Only 4 dev queries: the smallest p-value a paired randomization test over them can give is 0.125, not below 0.05, " +
            $"so the comparison at the end could not keep a fine-tuned model: nothing is trained and {output} will hold the starting model. " +
            "To let a better fine-tune through, validate on at least 6 queries";
        Assert.Contains(warning, child.Error);
        // As the cross-validated path does: no training time is spent on a fine-tune that could not be kept (before, it trained).
        Assert.DoesNotContain("Training from ", child.Error);
        Assert.False(Directory.Exists(output + "-checkpoints"), "a checkpoint folder means something was trained");
        Assert.Equal(File.ReadAllBytes(Path.Combine(run.Base, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.StartsWith("# Starting model kept\n", card);
        Assert.Contains("but over 4 dev queries no change could be shown beyond noise (a paired randomization test cannot give p below 0.125), so nothing was trained", card);
        Assert.DoesNotContain("## The fine-tuning run that was not kept", card);
    }

    [Fact]
    public async Task Train_SelfSupervisedWithTooFewDevQueries_KeepsTheStartWithoutTraining()
    {
        // 10% of the sample's 40 usable documents held out: 4 self-supervised dev queries, so no fine-tune could be kept.
        var output = run.Temp.Combine("self-too-few-dev");

        var result = await CliInvocation.RerankTrain("--index", run.Index, "--self-supervised", "--output", output, "--base", run.Base, "--max-steps", "1",
            "--batch-size", "2", "--max-length", "48", "--candidates", "10", "--dev-candidates", "10", "--device", "cpu", "--retrieval", "bm25", "--keep-checkpoints");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.False(Directory.Exists(output + "-checkpoints"), "a checkpoint folder means something was trained");
        Assert.Equal(File.ReadAllBytes(Path.Combine(run.Base, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.StartsWith("# Starting model kept\n", card);
        Assert.Matches(@"but over [1-5] dev quer(y|ies) no change could be shown beyond noise \(a paired randomization test cannot give p below 0\.\d+\), so nothing was trained", card);
        Assert.DoesNotContain("## The fine-tuning run that was not kept", card);
    }

    [Fact]
    public async Task Train_DevCutByMaxDevQueries_NamesThatOptionAsTheFix()
    {
        var output = run.Temp.Combine("capped-dev");
        using var child = ChildProcess.RerankTrain(null, [.. ArgsKeepingStart(output), "--max-dev-queries", "3", "--threads", "1"]);
        var code = await child.WaitForExit(seconds: 180);

        Assert.True(code == 0, child.ToString());
        // 3 of the sample's 4 dev queries: 2/2^3 = 0.25.
        Assert.Contains("Only 3 dev queries: the smallest p-value a paired randomization test over them can give is 0.25, not below 0.05", child.Error);
        Assert.Contains("validate on at least 6 queries: --max-dev-queries 6 or more (now 3, which left out dev queries);", child.Error);
    }

    [Fact]
    public async Task Train_TriplesGivenAsTexts_HoldsOutNothing_SaysNothingCanBeValidated_AndSavesTheFineTune()
    {
        // Text positives cannot be found among the index's candidates, so a held-out triple could never validate.
        // Before, one of the 10 queries was held out anyway: taken from training, judging nothing.
        var triples = run.Temp.Combine("text-triples.jsonl");
        File.WriteAllLines(triples, Enumerable.Range(0, 10).Select(i => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["query"] = $"how do glaciers shape valleys {i}",
            ["positive"] = $"Glaciers carve deep U-shaped valleys as the ice moves downhill, case {i}.",
            ["negative"] = $"Honeybees dance to show where flowers are, case {i}.",
        })));
        var output = run.Temp.Combine("text-triples-model");
        using var child = ChildProcess.RerankTrain(null, "--index", run.Index, "--triples", triples, "--output", output, "--base", run.Base,
            "--max-steps", "2", "--batch-size", "2", "--max-length", "48", "--device", "cpu", "--threads", "1", "--seed", "7");
        var code = await child.WaitForExit(seconds: 180);

        Assert.True(code == 0, child.ToString());
        var warning = "No query is held out for validation: no training query has a positive named by index id (positive_id), " +
            "and a positive given as text cannot be found among the first stage's candidates. All 10 training queries are trained on.";
        Assert.Contains(warning, child.Error);
        Assert.True(child.Error.IndexOf(warning, StringComparison.Ordinal) < child.Error.IndexOf("Training from ", StringComparison.Ordinal), child.Error);
        Assert.Contains("Training from " + run.Base + " on 10 training queries", child.Error);
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.Contains("| training queries | 10 |", card);
        Assert.Contains("| dev | none: no training query has a positive named by index id (positive_id)", card);
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")), child.ToString());
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(run.Base, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
    }

    /// <summary>A copy of the base with reranking settings of its own, tuned (it says) on "the start's own dev set".</summary>
    private string StartWithSettings(string name)
    {
        var start = run.Temp.Combine(name);
        Directory.CreateDirectory(start);
        foreach (var file in Directory.GetFiles(run.Base)) File.Copy(file, Path.Combine(start, Path.GetFileName(file)));
        new RerankerSettings(0.35, "the start's own dev set", 48, "interpolate", new Dictionary<string, double> { ["bm25"] = 0.4 }).Write(start);
        return start;
    }

    [Fact]
    public async Task Train_UnvalidatedFineTune_TunedOnSaysItsWeightsWereNotTuned()
    {
        // Text triples: nothing can be validated, so the fine-tune is saved as trained with the start's reranking settings.
        // Before, its tuned_on was the start's ("the start's own dev set"), which described the start's weights, not these.
        var start = StartWithSettings("start-unvalidated");
        var triples = run.Temp.Combine("unvalidated-triples.jsonl");
        File.WriteAllLines(triples, Enumerable.Range(0, 6).Select(i => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["query"] = $"why does bread dough rise {i}",
            ["positive"] = $"Yeast ferments sugar and the gas makes the dough rise, case {i}.",
            ["negative"] = $"The moon pulls the oceans into tides, case {i}.",
        })));
        var output = run.Temp.Combine("unvalidated-model");

        var result = await CliInvocation.RerankTrain("--index", run.Index, "--triples", triples, "--output", output, "--base", start,
            "--max-steps", "2", "--batch-size", "2", "--max-length", "40", "--device", "cpu", "--retrieval", "bm25");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(start, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        var saved = RerankerSettings.Read(output);
        Assert.Equal("the starting model's score mode and weights, not tuned or measured with these fine-tuned weights: no dev query could measure them " +
            "(the starting model's tuned_on: the start's own dev set)", saved.TunedOn);
        // The settings themselves are the start's, at the trained length.
        Assert.Equal(("interpolate", 0.35, 0.4, 40), (saved.ScoreMode, saved.InterpolationWeight, saved.FirstStageWeights!["bm25"], saved.MaxLength));
    }

    [Fact]
    public async Task Train_SelfSupervisedFineTuneSaved_TunedOnSaysOnlyTheCrossEncoderWasJudged()
    {
        // The self-supervised dev set judges the cross-encoder alone; a saved fine-tune keeps the start's mode and weights, never tuned with it.
        var start = StartWithSettings("start-self");
        var output = run.Temp.Combine("self-kept-trained");

        var result = await CliInvocation.RerankTrain("--index", run.Index, "--self-supervised", "--output", output, "--base", start, "--max-steps", "2",
            "--batch-size", "2", "--max-length", "48", "--dev-fraction", "0.5", "--candidates", "10", "--dev-candidates", "10", "--device", "cpu",
            "--retrieval", "bm25", "--keep-trained");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(start, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        var saved = RerankerSettings.Read(output);
        Assert.Equal("the starting model's score mode and weights, not tuned or measured with these fine-tuned weights: the self-supervised dev set " +
            "(dev: 20 queries, bm25 top 10, nDCG@10) judged the cross-encoder alone (the starting model's tuned_on: the start's own dev set)", saved.TunedOn);
        Assert.Equal(("interpolate", 0.35, 0.4), (saved.ScoreMode, saved.InterpolationWeight, saved.FirstStageWeights!["bm25"]));
    }

    [Fact]
    public async Task Train_KeepTrained_SavesTheFineTunedWeightsWithTheComparison()
    {
        var output = run.Temp.Combine("kept-trained");

        var result = await CliInvocation.RerankTrain([.. ArgsKeepingStart(output), "--keep-trained"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(run.Base, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.Contains("it is saved because --keep-trained was given", card);
    }

    [Fact]
    public async Task Train_NoBase_StartsFromTheDefaultReranker()
    {
        var models = run.Temp.Combine("models-" + Guid.NewGuid().ToString("N"));
        var reranker = Directory.CreateDirectory(Path.Combine(models, "default-reranker")).FullName;
        foreach (var file in Directory.GetFiles(run.Base)) File.Copy(file, Path.Combine(reranker, Path.GetFileName(file)));
        var output = run.Temp.Combine("from-default");
        var args = ArgsTrainingAndComparing(output).ToList();
        var at = args.IndexOf("--base");
        args.RemoveRange(at, 2);

        using var child = ChildProcess.RerankTrain(new Dictionary<string, string> { ["SEARCHRERANK_MODELS"] = models }, [.. args, "--threads", "1"]);
        var code = await child.WaitForExit(seconds: 180);

        Assert.True(code == 0, child.ToString());
        Assert.Contains($"Training from the default reranker ({reranker})", child.Error);
        Assert.Equal(File.ReadAllBytes(Path.Combine(reranker, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        // The variable chose the starting model, so the card's command, to be run again, sets it (before, it was left out).
        Assert.Contains($"```\nSEARCHRERANK_MODELS={models} rerank-train {string.Join(' ', args)} --threads 1\n```", File.ReadAllText(Path.Combine(output, "README.md")));
    }

    [Fact]
    public async Task Train_NoBaseAndNoDefaultReranker_ExitsTwoNamingTheWayOut()
    {
        var empty = run.Temp.Combine("no-models-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(empty);
        var args = ArgsKeepingStart(run.Temp.Combine("never")).ToList();
        args.RemoveRange(args.IndexOf("--base"), 2);

        using var child = ChildProcess.RerankTrain(new Dictionary<string, string> { ["SEARCHRERANK_MODELS"] = empty }, [.. args]);
        var code = await child.WaitForExit(seconds: 120);

        // The child runs in the test program's folder, which holds no models/default-reranker either.
        Assert.True(code == 2, child.ToString());
        Assert.Contains("--base minilm", child.Error);
        Assert.DoesNotContain("   at ", child.Error);
    }

    [Theory]
    [InlineData(1, "dev ", "1 dev query")]
    [InlineData(2, "judged ", "2 judged queries")]
    [InlineData(0, "", "0 queries")]
    public void Counted_OneQueryIsSingular(int n, string kind, string expected) => Assert.Equal(expected, Rerank.Training.Cli.TrainCommand.Counted(n, kind));
}
