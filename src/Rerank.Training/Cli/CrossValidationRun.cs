using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rerank.Lucene;
using Rerank.Lucene.Output;
using Rerank.Lucene.Reranking;
using Rerank.Training.Data;
using Rerank.Training.Trainer;

namespace Rerank.Training.Cli;

/// <summary>
/// The fold models of a cross-validated <c>rerank-train</c> run (<see cref="CrossValidationFolds"/>): for each fold,
/// a fine-tune of the starting model on the other folds' queries, with the run's own settings and no validation
/// (there is no dev set to validate on), whose scores for its own fold's judged candidates are kept. Together they are
/// out-of-fold scores for every judged query.
/// </summary>
/// <remarks>
/// Nothing is lost: everything lives in OUTPUT-checkpoints/cross-validation. A fold's training checkpoints as a run
/// does (Ctrl-C saves one); a finished fold's scores are written atomically to <c>fold-N.scores.json</c> and its
/// models are then deleted. <c>--resume</c> reuses finished folds and continues the interrupted one; a resumed run
/// must have the same folds, judged queries, candidates and training settings (<see cref="PlanFile"/>).
/// </remarks>
internal static class CrossValidationRun
{
    /// <summary>Folder of the folds inside the run's checkpoint folder.</summary>
    public const string FolderName = "cross-validation";

    /// <summary>What the folds were planned with; a resumed run must match it line for line.</summary>
    public const string PlanFile = "plan.txt";

    /// <summary>How each fold's line of the plan starts ("fold 0: q3 q17 ...").</summary>
    private const string FoldLine = "fold ";

    /// <summary>The cross-validation folder of a run writing <paramref name="output"/>.</summary>
    public static string Folder(string output) => Path.Combine(TrainCommand.CheckpointFolder(output), FolderName);

    /// <summary>Folds finished (scores saved) and folds planned, when a run writing <paramref name="output"/> has started cross-validating; else null.</summary>
    public static (int Done, int Folds)? Progress(string output)
    {
        var folder = Folder(output);
        if (!Directory.Exists(folder)) return null;
        var plan = Path.Combine(folder, PlanFile);
        var folds = File.Exists(plan) ? File.ReadLines(plan).Count(line => line.StartsWith(FoldLine, StringComparison.Ordinal)) : 0;
        return (Directory.GetFiles(folder, "fold-*.scores.json").Length, folds);
    }

    /// <summary>
    /// Starts the cross-validation folder of a run writing <paramref name="output"/> (its plan: settings, judged
    /// queries, folds), or, resuming, checks that the folder's plan is this run's. Called before any scoring or training.
    /// </summary>
    /// <exception cref="InvalidInputException">An earlier run's folds are there without --resume, or were planned otherwise (names what differs).</exception>
    public static void Begin(string output, CrossValidationFolds folds, DevEvaluator judged, IReadOnlyList<string> settings, bool resume) =>
        StartOrCheckPlan(Folder(output), Plan(folds, judged, settings), resume);

    /// <summary>
    /// Trains (or, resuming, reuses) every fold's model and returns the out-of-fold cross-encoder scores of every
    /// judged query, aligned with <paramref name="judged"/>'s candidates.
    /// </summary>
    /// <param name="output">--output of the run (the folds go to its checkpoint folder).</param>
    /// <param name="folds">The folds.</param>
    /// <param name="groups">Every training group (mined), all folds.</param>
    /// <param name="judged">The judged queries and their candidates at the serving depth.</param>
    /// <param name="options">The run's training options; each fold changes only its folders and turns validation off.</param>
    /// <param name="settings">The training settings that finished folds must share with this run (one line each).</param>
    /// <param name="trainer">Makes the trainer of one fold from its options.</param>
    /// <param name="device">--device, to load each fold's saved model for scoring.</param>
    /// <param name="resume">--resume: reuse finished folds and continue an interrupted one.</param>
    /// <param name="progress">Training progress display.</param>
    /// <remarks>Call <see cref="Begin"/> first. A fold none of whose queries is judged (--max-dev-queries) is not trained.</remarks>
    /// <exception cref="InvalidInputException">A finished fold's saved scores do not fit this run's candidates, or cannot be read.</exception>
    public static Dictionary<string, float[]> OutOfFoldScores(string output, CrossValidationFolds folds, IReadOnlyList<TrainingGroup> groups, DevEvaluator judged,
        TrainingOptions options, Func<TrainingOptions, bool, CrossEncoderTrainer> trainer, string device, bool resume,
        IProgress<TrainingProgress>? progress, ILogger log, CancellationToken ct)
    {
        var folder = Folder(output);
        var scores = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (var fold = 0; fold < folds.Count; fold++)
        {
            ct.ThrowIfCancellationRequested();
            var held = judged.Subset(folds.Queries(fold));
            var file = Path.Combine(folder, $"fold-{fold}.scores.json");
            if (File.Exists(file))
            {
                foreach (var (id, values) in ReadScores(file, held)) scores[id] = values;
                log.LogInformation("Cross-validation fold {Fold} of {Folds}: finished earlier, its scores read from {File}", fold + 1, folds.Count, file);
                continue;
            }
            if (held.QueryCount == 0)
            {
                log.LogInformation("Cross-validation fold {Fold} of {Folds}: none of its queries is judged (--max-dev-queries chose others), so it is not trained", fold + 1, folds.Count);
                continue;
            }
            var foldFolder = Path.Combine(folder, $"fold-{fold}");
            var foldOptions = options with
            {
                OutputDirectory = Path.Combine(foldFolder, TrainCommand.FineTunedFolderName),
                CheckpointDirectory = foldFolder,
                EvalEverySteps = 0,
                Patience = null,
                DataSettings = new Dictionary<string, string>(options.DataSettings ?? new Dictionary<string, string>()) { ["cross-validation fold"] = $"{fold + 1} of {folds.Count}" },
            };
            var train = folds.TrainingGroups(groups, fold);
            var resumeFold = resume && CrossEncoderTrainer.LatestCheckpoint(foldOptions) is not null;
            log.LogInformation("Cross-validation fold {Fold} of {Folds}: {Verb} on the {Train} training queries of the other folds; judged on its own {Judged}",
                fold + 1, folds.Count, resumeFold ? "resuming the fine-tune" : "fine-tuning the starting model", train.Select(g => g.QueryId).Distinct().Count(), held.QueryCount);
            if (Directory.Exists(foldOptions.OutputDirectory)) Directory.Delete(foldOptions.OutputDirectory, recursive: true); // this run's own scratch
            trainer(foldOptions, resumeFold).Train(train, new TrainingHooks(Progress: progress), ct);
            Dictionary<string, float[]> foldScores;
            using (var model = CrossEncoder.Load(foldOptions.OutputDirectory, new CrossEncoderOptions { Device = device, MaxLength = options.MaxLength }))
                foldScores = held.Score(new Scorer(model), ct).Scores;
            WriteScores(file, held, foldScores);
            foreach (var (id, values) in foldScores) scores[id] = values;
            Directory.Delete(foldFolder, recursive: true);
            log.LogInformation("Cross-validation fold {Fold} of {Folds}: done, scores of its {Judged} saved to {File}", fold + 1, folds.Count, TrainCommand.Counted(held.QueryCount, "judged "), file);
            TrainCommand.StageHook.Value?.Invoke($"cross-validation fold {fold + 1} done", ct);
        }
        return scores;
    }

    /// <summary>The plan's lines: settings, judged queries with their candidate depth, and the folds.</summary>
    private static List<string> Plan(CrossValidationFolds folds, DevEvaluator judged, IReadOnlyList<string> settings)
    {
        var lines = new List<string>(settings)
        {
            string.Create(CultureInfo.InvariantCulture, $"judged: {judged.QueryCount} queries, {judged.FirstStageName} top {judged.Candidates}: {string.Join(' ', judged.QueryIds.Order(StringComparer.Ordinal))}"),
        };
        lines.AddRange(folds.Describe().Split('\n').Select(line => FoldLine + line));
        return lines;
    }

    private static void StartOrCheckPlan(string folder, List<string> plan, bool resume)
    {
        var path = Path.Combine(folder, PlanFile);
        if (File.Exists(path))
        {
            if (!resume)
                throw new InvalidInputException($"'{folder}' holds the cross-validation of an earlier run. Pass --resume to continue it, or choose another --output.", folder);
            var stored = File.ReadAllLines(path);
            if (stored.SequenceEqual(plan)) return;
            var (was, now) = stored.Zip(plan).FirstOrDefault(p => p.First != p.Second);
            throw new InvalidInputException(
                $"Cannot resume: the cross-validation in '{folder}' was started with {Difference(was, now)}. " +
                $"Run it with the settings it was started with, or remove '{folder}' to start the cross-validation over.", folder);
        }
        Directory.CreateDirectory(folder);
        using var file = AtomicFile.Create(path);
        foreach (var line in plan) file.Writer.Write(line + "\n");
        file.Commit();
    }

    /// <summary>What differs between a plan line of the earlier run (<paramref name="was"/>) and this run's (<paramref name="now"/>), in words.</summary>
    private static string Difference(string? was, string? now)
    {
        if (was is null || now is null) return "another number of folds";
        if (was.StartsWith(FoldLine, StringComparison.Ordinal))
            return "other folds (another --cv-folds or --seed, or other training queries)";
        if (was.StartsWith("judged:", StringComparison.Ordinal))
            return "other judged queries or candidates (another --max-dev-queries, --candidates, --retrieval, --seed or qrels, or a changed index)";
        var item = was.Split(", ").Zip(now.Split(", ")).FirstOrDefault(p => p.First != p.Second);
        return item == default ? $"\"{was}\" (now \"{now}\")" : $"\"{item.First}\" (now \"{item.Second}\")";
    }

    private sealed record QueryScores(string Id, string[] Candidates, float[] Scores);

    private static void WriteScores(string path, DevEvaluator held, Dictionary<string, float[]> scores)
    {
        var records = held.QueryIds.Select(id => new QueryScores(id, [.. held.CandidateIds(id)], scores[id])).ToArray();
        using var file = AtomicFile.Create(path);
        file.Writer.Write(JsonSerializer.Serialize(records));
        file.Commit();
    }

    /// <summary>A finished fold's scores, checked against this run's candidates (an index changed since would misalign them).</summary>
    private static IEnumerable<(string Id, float[] Scores)> ReadScores(string path, DevEvaluator held)
    {
        QueryScores[]? records;
        try
        {
            records = JsonSerializer.Deserialize<QueryScores[]>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"Cannot resume: '{path}' (a finished fold's scores) cannot be read ({e.Message}). Remove it to train that fold again.", path);
        }
        if (records is null) throw new InvalidInputException($"Cannot resume: '{path}' (a finished fold's scores) is empty. Remove it to train that fold again.", path);
        var byId = records.ToDictionary(r => r.Id, StringComparer.Ordinal);
        foreach (var id in held.QueryIds)
        {
            if (!byId.TryGetValue(id, out var record) || !record.Candidates.SequenceEqual(held.CandidateIds(id)) || record.Scores.Length != record.Candidates.Length)
                throw new InvalidInputException(
                    $"Cannot resume: '{path}' scored other candidates for query '{id}' than the index gives now (was the index changed?). Remove '{Path.GetDirectoryName(path)}' to start the cross-validation over.", path);
            yield return (id, record.Scores);
        }
    }

    private sealed class Scorer(CrossEncoder model) : IPairScorer
    {
        public float[] Score(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct = default) => model.Predict(pairs, ct);
    }
}
