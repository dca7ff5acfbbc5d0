using System.Text.Json;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;
using Rerank.Training.Cli;

namespace Rerank.Lucene.Tests.Training.Cli;

/// <summary>
/// rerank-train judged by k-fold cross-validation over the training queries (the default when a held-out dev set
/// would be under 50 queries): each fold's fine-tune trains on the other folds only, the final model is trained only
/// when asked or when the fine-tunes win, and an interrupted run continues with --resume to the same model.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class CrossValidationCommandTests(TinyTrainingRunFixture run) : IClassFixture<TinyTrainingRunFixture>
{
    /// <summary>The fixture's arguments without a dev choice (--dev-fraction) or validation depth (--dev-candidates), so cross-validation is chosen.</summary>
    /// <remarks>Two updates: the first runs at learning rate 0 (linear warmup from 0), so one would leave the weights as they were.</remarks>
    private string[] Args(string output, bool keepTrained, params string[] extra)
    {
        var args = run.Args(output, maxSteps: 2).ToList();
        foreach (var option in new[] { "--dev-fraction", "--dev-candidates" }) args.RemoveRange(args.IndexOf(option), 2);
        if (!keepTrained) args.Remove("--keep-trained");
        return [.. args, .. extra];
    }

    [Fact]
    public async Task Train_NoDevChoiceAndFewQueries_FiveFoldsEachTrainedOnTheOtherFolds_FinalModelSavedWithKeepTrained()
    {
        var output = run.Temp.Combine("cv-keep-trained");
        using var child = ChildProcess.RerankTrain(null, [.. Args(output, keepTrained: true), "--threads", "1"]);
        var code = await child.WaitForExit(seconds: 300);

        Assert.True(code == 0, child.ToString());
        // 12 queries dealt round-robin into 5 folds: folds 1-2 hold 3 queries, folds 3-5 hold 2 (by hand); each fold's
        // model trains on the other 9 or 10. A 10% hold-out would have been round(1.2) = 1 dev query.
        Assert.Contains("Judging by 5-fold cross-validation over the 12 training queries (12 judged, bm25 top 10)", child.Error);
        foreach (var (fold, size) in new[] { (1, 3), (2, 3), (3, 2), (4, 2), (5, 2) })
            Assert.Contains($"Cross-validation fold {fold} of 5: fine-tuning the starting model on the {12 - size} training queries of the other folds; judged on its own {size}", child.Error);
        Assert.Contains("Training the final model on all 12 training queries", child.Error);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(run.Base, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        using var settings = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, RerankerSettings.FileName)));
        Assert.Equal("5-fold cross-validation: 12 training queries, bm25 top 10, nDCG@10", settings.RootElement.GetProperty("tuned_on").GetString());
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.Contains("5-fold cross-validation was chosen because a 10% hold-out would be 1 dev query, fewer than 50", card);
        Assert.Contains("| the fine-tuned models (5 folds, each judged on queries it did not train on), mode and weight cross-fitted | per fold (on all: ", card);
        Assert.False(Directory.Exists(output + "-checkpoints"));
    }

    [Fact]
    public async Task Train_CrossValidatedNotBetterThanTheStart_KeepsTheStartWithoutTrainingAFinalModel()
    {
        // A learning rate of 1e-30 leaves every float32 weight as it was, so each fold's fine-tune scores exactly as the
        // start: the fine-tunes cannot beat the start re-tuned, and the start's weights must come back.
        var output = run.Temp.Combine("cv-kept-start");

        var result = await CliInvocation.RerankTrain(Args(output, keepTrained: false, "--cv-folds", "3", "--lr", "1e-30"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(run.Base, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.StartsWith("# Starting model kept\n", card);
        Assert.Contains("(no final model was trained)", card);
        Assert.Contains("Judged by 3-fold cross-validation over the 12 training queries (12 judged, bm25 top 10)", card);
        Assert.Contains("| the fine-tuned models (3 folds, each judged on queries it did not train on), mode and weight cross-fitted | per fold (on all: ", card);
        // The fine-tunes in the start's own pipeline score exactly as the start as stored (the same weights): a change of 0.
        var startRow = System.Text.RegularExpressions.Regex.Match(card, @"\| the starting model \([^\n]*\), as stored \| [^|]+ \| (?<v>[0-9.]+) ").Groups["v"].Value;
        var asStoredRow = System.Text.RegularExpressions.Regex.Match(card, @"\| the fine-tuned models \([^\n]*\), the start's mode and weight \| [^|]+ \| (?<v>[0-9.]+) ").Groups["v"].Value;
        Assert.NotEqual("", startRow);
        Assert.Equal(startRow, asStoredRow);
        Assert.False(Directory.Exists(output + "-checkpoints"));
    }

    [Fact]
    public async Task Train_TooFewJudgedQueriesToKeepAChange_TrainsNothingAndKeepsTheStart()
    {
        // 4 judged queries: the smallest exact two-sided p is 2/2^4 = 0.125, so no fold's training could change the outcome.
        var output = run.Temp.Combine("cv-too-few");

        var result = await CliInvocation.RerankTrain(Args(output, keepTrained: false, "--cv-folds", "3", "--max-dev-queries", "4"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(run.Base, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        var card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.StartsWith("# Starting model kept\n", card);
        Assert.Contains("over 4 judged queries no change could be shown beyond noise (a paired randomization test cannot give p below 0.125), so nothing was trained", card);
        Assert.False(Directory.Exists(output + "-checkpoints"));
    }

    [Fact]
    public async Task Train_CancelledAfterAFold_ResumeReusesItAndGivesTheUninterruptedModel()
    {
        var uninterrupted = run.Temp.Combine("cv-whole");
        var output = run.Temp.Combine("cv-resumed");
        string[] ArgsFor(string o) => Args(o, keepTrained: true, "--cv-folds", "3", "--max-dev-queries", "4", "--keep-checkpoints");
        var whole = await CliInvocation.RerankTrain(ArgsFor(uninterrupted));
        Assert.True(whole.ExitCode == 0, whole.ToString());

        using var cancel = new CancellationTokenSource();
        TrainCommand.StageHook.Value = (stage, _) => { if (stage == "cross-validation fold 1 done") cancel.Cancel(); };
        CliResult cancelled;
        try
        {
            cancelled = await CliInvocation.RerankTrain(new StringWriter { NewLine = "\n" }, cancel.Token, ArgsFor(output));
        }
        finally
        {
            TrainCommand.StageHook.Value = null;
        }

        Assert.True(cancelled.ExitCode == 130, cancelled.ToString());
        var folder = Path.Combine(output + "-checkpoints", "cross-validation");
        Assert.Contains($"cancelled during cross-validation: '{output}' was not written (the model folder is written only when the run finishes); 1 of 3 folds are finished and kept", cancelled.Error);
        Assert.EndsWith($"rerank-train {string.Join(' ', ArgsFor(output))} --resume\n", cancelled.Error);
        var firstFold = Path.Combine(folder, "fold-0.scores.json");
        var written = File.GetLastWriteTimeUtc(firstFold);
        Assert.False(File.Exists(Path.Combine(folder, "fold-1.scores.json")));

        // Without --resume the earlier run's folds are never overwritten.
        var again = await CliInvocation.RerankTrain(ArgsFor(output));
        Assert.True(again.ExitCode == 2, again.ToString());
        Assert.Contains("holds the cross-validation of an earlier run. Pass --resume to continue it", again.Error);

        // Resumed the other way (holding out a dev set), or with another setting: refused, naming what differs; nothing removed.
        var heldOut = await CliInvocation.RerankTrain([.. ArgsFor(output).Select(a => a == "3" ? "0" : a), "--resume"]);
        Assert.True(heldOut.ExitCode == 2, heldOut.ToString());
        Assert.Contains("holds an interrupted cross-validation, and this run holds out a dev set instead", heldOut.Error);
        var otherRate = await CliInvocation.RerankTrain([.. ArgsFor(output), "--lr", "1e-4", "--resume"]);
        Assert.True(otherRate.ExitCode == 2, otherRate.ToString());
        Assert.Contains("was started with \"training: lr 5E-05\" (now \"training: lr 0.0001\")", otherRate.Error);
        Assert.True(File.Exists(firstFold));

        var resumed = await CliInvocation.RerankTrain([.. ArgsFor(output), "--resume"]);

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(written, File.GetLastWriteTimeUtc(firstFold));
        foreach (var file in new[] { "model.safetensors", RerankerSettings.FileName })
            Assert.Equal(File.ReadAllBytes(Path.Combine(uninterrupted, file)), File.ReadAllBytes(Path.Combine(output, file)));
        static string Table(string card) => card[card.IndexOf("## Cross-validation on the training queries", StringComparison.Ordinal)..];
        Assert.Equal(Table(File.ReadAllText(Path.Combine(uninterrupted, "README.md"))), Table(File.ReadAllText(Path.Combine(output, "README.md"))));
    }

    [Theory]
    [InlineData(new[] { "--cv-folds", "1" }, "--cv-folds must be 0 (hold out a dev set) or at least 2, found 1.")]
    [InlineData(new[] { "--cv-folds", "13" }, "--cv-folds 13 needs at least 13 training queries, one per fold; the judgments have 12. Use --cv-folds 12 or fewer.")]
    [InlineData(new[] { "--cv-folds", "3", "--dev-fraction", "0.3" }, "--cv-folds and --dev-fraction both choose what the fine-tuned model is judged on")]
    [InlineData(new[] { "--patience", "2" }, "--patience acts on validation against a dev set during training, and this run has none: 5-fold cross-validation was chosen because a 10% hold-out would be 1 dev query, fewer than 50. Drop --patience, or hold out a dev set with --cv-folds 0")]
    [InlineData(new[] { "--eval-every", "5" }, "--eval-every acts on validation against a dev set during training")]
    [InlineData(new[] { "--cv-folds", "abc" }, "error: --cv-folds must be a whole number, found 'abc'.")] // in search-host's words, not .NET's type names
    [InlineData(new[] { "--cv-folds", "99999999999" }, "error: --cv-folds must be between 0 and 2147483647, found 99999999999.")] // its own range, not int's
    [InlineData(new[] { "--cv-folds", "3", "--cv-folds", "4" }, "--cv-folds")]
    public async Task Train_CrossValidationWithOptionsItCannotHonour_ExitsTwoBeforeTraining(string[] extra, string message)
    {
        var output = run.Temp.Combine("cv-refused-" + Guid.NewGuid().ToString("N"));

        var result = await CliInvocation.RerankTrain(Args(output, keepTrained: true, extra));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Error);
        Assert.False(Directory.Exists(output));
        Assert.False(Directory.Exists(output + "-checkpoints"));
    }

    [Fact]
    public async Task Train_PairsWithoutDev_SavesTheFineTuneWithTheStartsScoreModeAndWeights_AndWarns()
    {
        // A start that interpolates: a fine-tune that nothing validated must not silently rank by the cross-encoder alone.
        var start = run.Temp.Combine("interpolating-start");
        Directory.CreateDirectory(start);
        foreach (var file in Directory.GetFiles(run.Base)) File.Copy(file, Path.Combine(start, Path.GetFileName(file)));
        new RerankerSettings(InterpolationWeight: 0.3, ScoreMode: "interpolate").Write(start);
        var pairs = run.Temp.Combine("unvalidated-pairs.jsonl");
        File.WriteAllLines(pairs,
        [
            "{\"query\": \"glaciers\", \"document\": \"Glaciers carve valleys.\", \"label\": 1}",
            "{\"query\": \"glaciers\", \"document\": \"Bread rises with yeast.\", \"label\": 0}",
            "{\"query\": \"yeast\", \"document\": \"Bread rises with yeast.\", \"label\": 1}",
            "{\"query\": \"yeast\", \"document\": \"Glaciers carve valleys.\", \"label\": 0}",
        ]);
        var output = run.Temp.Combine("unvalidated");

        // A child process: the warning is a log message (standard error of the program).
        using var child = ChildProcess.RerankTrain(null, "--index", run.Index, "--pairs", pairs, "--output", output, "--base", start,
            "--max-steps", "3", "--batch-size", "2", "--max-length", "32", "--device", "cpu");
        child.Input.Close();

        Assert.True(await child.WaitForExit(300) == 0, child.Error);
        Assert.Contains("No dev queries, so nothing can be validated", child.Error);
        var saved = RerankerSettings.Read(output);
        Assert.Equal("interpolate", saved.ScoreMode);
        Assert.Equal(0.3, saved.InterpolationWeight);
        Assert.Equal(32, saved.MaxLength);
        Assert.Contains("## Not validated", File.ReadAllText(Path.Combine(output, "README.md")));
        // The fine-tune itself is saved (its updates moved the weights).
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(start, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public async Task Train_PairsWithAGroupLoss_RefusedNamingTheFlagValueThatWorks()
    {
        var pairs = run.Temp.Combine("listwise-pairs.jsonl");
        File.WriteAllLines(pairs, ["{\"query\": \"glaciers\", \"document\": \"Glaciers carve valleys.\", \"label\": 1}"]);
        var output = run.Temp.Combine("listwise-pairs");

        var result = await CliInvocation.RerankTrain("--index", run.Index, "--pairs", pairs, "--loss", "listwise", "--output", output, "--base", run.Base, "--max-length", "32", "--device", "cpu");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Loss listwise ranks a positive against negatives, but labelled pairs have no groups. Use --loss bce with labelled pairs", result.Error);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Train_CvFoldsWithPairs_ExitsTwoBeforeTraining()
    {
        var pairs = run.Temp.Combine("cv-pairs.jsonl");
        File.WriteAllLines(pairs, ["{\"query\": \"glaciers\", \"document\": \"Glaciers carve valleys.\", \"label\": 1}"]);
        var output = run.Temp.Combine("cv-pairs");

        var result = await CliInvocation.RerankTrain("--index", run.Index, "--pairs", pairs, "--cv-folds", "2", "--output", output, "--base", run.Base, "--device", "cpu");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--cv-folds cross-validates over judged training queries: use it with --queries and --qrels", result.Error);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Train_ResumeCrossValidationOnAHeldOutRunsCheckpoint_RefusedBeforeScoringAnything()
    {
        // A finished held-out run that kept its checkpoints, then a cross-validated --resume on the same output: before,
        // it trained every fold and only then failed on the other run's checkpoint.
        var output = run.Temp.Combine("cv-on-plain");
        var plain = await CliInvocation.RerankTrain(Args(output, keepTrained: true, "--cv-folds", "0", "--keep-checkpoints"));
        Assert.True(plain.ExitCode == 0, plain.ToString());

        var result = await CliInvocation.RerankTrain(Args(output, keepTrained: true, "--cv-folds", "3", "--resume", "--overwrite"));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("holds the checkpoint of a run judged on a held-out dev set, and this run cross-validates", result.Error);
        Assert.False(Directory.Exists(Path.Combine(output + "-checkpoints", "cross-validation")));
    }

    [Fact]
    public async Task Train_CvFoldsZero_HoldsOutADevSetAsBefore()
    {
        var output = run.Temp.Combine("cv-off");

        var result = await CliInvocation.RerankTrain(Args(output, keepTrained: true, "--cv-folds", "0"));

        Assert.True(result.ExitCode == 0, result.ToString());
        using var settings = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, RerankerSettings.FileName)));
        // The 10% hold-out of 12 queries: round(1.2) = 1 dev query.
        Assert.Equal("dev: 1 queries, bm25 top 10, nDCG@10", settings.RootElement.GetProperty("tuned_on").GetString());
    }
}
