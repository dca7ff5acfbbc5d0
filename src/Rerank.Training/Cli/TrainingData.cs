using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Rerank.Lucene;
using Rerank.Lucene.Retrieval;
using Rerank.Training.Data;
using Rerank.Training.Mining;

namespace Rerank.Training.Cli;

/// <summary>
/// The training and dev data of one run, from exactly one source: BEIR queries + qrels (negatives
/// mined from the index), triples, labelled pairs, previously mined groups, or self-supervised
/// pseudo-queries (negatives mined). Statistics go into the model card.
/// </summary>
internal sealed class TrainingData
{
    private TrainingData(IReadOnlyList<TrainingGroup>? groups, IReadOnlyList<LabeledPair>? pairs, IReadOnlyList<TrainingGroup> dev,
        List<KeyValuePair<string, string>> statistics, CrossValidationFolds? crossValidation = null)
    {
        CrossValidation = crossValidation;
        Groups = groups;
        Pairs = pairs;
        Dev = dev;
        Statistics = statistics;
    }

    /// <summary>Training groups (null when training on labelled pairs).</summary>
    public IReadOnlyList<TrainingGroup>? Groups { get; }

    /// <summary>Labelled pairs (null when training on groups).</summary>
    public IReadOnlyList<LabeledPair>? Pairs { get; }

    /// <summary>
    /// The folds when the run is judged by cross-validation over the training queries (then <see cref="Groups"/> holds
    /// every training query and <see cref="Dev"/> the judged ones among them); null when it holds out a dev set or has none.
    /// </summary>
    public CrossValidationFolds? CrossValidation { get; }

    /// <summary>Validation queries with their positives (may be empty); with <see cref="CrossValidation"/>, the judged training queries.</summary>
    public IReadOnlyList<TrainingGroup> Dev { get; }

    /// <summary>What the model card reports about the data.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Statistics { get; }

    /// <summary>Whether --max-dev-queries left dev queries out of <see cref="Dev"/> (recorded in <see cref="Statistics"/>).</summary>
    public bool DevCapped => Statistics.Any(kv => kv.Key == DevCappedKey);

    /// <summary>Reads, splits and mines as the flags say.</summary>
    public static TrainingData Load(ParseResult parse, Bm25Searcher bm25, ICandidateRetriever firstStage, IDocumentStore store, int seed, ILogger log, CancellationToken ct = default)
    {
        CheckOptions(parse);
        var o = TrainCommand.DataOptions(parse);
        var mined = o.Mined is { Length: > 0 } ? o.Mined : null;


        var stats = new List<KeyValuePair<string, string>>();
        var missing = o.SkipMissing ? new List<string>() : null;
        void Stat(string key, object value) => stats.Add(new(key, Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
        Stat("index", $"{bm25.Manifest.Source} ({bm25.DocumentCount} documents, BM25 k1 {bm25.Manifest.K1}, b {bm25.Manifest.B}, {bm25.Manifest.FieldsMode})");

        if (o.Pairs is not null)
        {
            var pairs = LabeledPairsReader.Read(o.Pairs, store);
            var dev = o.DevQrels is null ? [] : BeirTrainingReader.Read(o.Queries!, o.DevQrels, store, missing);
            Stat("training data", $"labelled pairs {o.Pairs}: {pairs.Count} pairs");
            Stat("dev", o.DevQrels is null ? "none (pass --dev-qrels for validation)" : $"{o.DevQrels}: {dev.Count} queries");
            return new TrainingData(null, pairs, Cap(dev, o.MaxDevQueries, seed, stats), stats);
        }

        IReadOnlyList<TrainingGroup> all;
        var mine = true;
        if (o.Qrels is not null)
        {
            all = BeirTrainingReader.Read(o.Queries!, o.Qrels, store, missing);
            Stat("training data", $"queries {o.Queries} + qrels {o.Qrels}: {all.Count} queries, {all.Sum(g => g.Positives.Count)} positives");
        }
        else if (o.Triples is not null)
        {
            all = TriplesReader.Read(o.Triples, store);
            mine = false;
            Stat("training data", $"triples {o.Triples}: {all.Count} triples");
        }
        else if (mined is not null)
        {
            var files = mined.Select(f => (File: f, Groups: TrainingGroupsFile.Read(f))).ToArray();
            all = files.SelectMany(f => f.Groups).ToArray();
            mine = false;
            Stat("training data", "mined groups " + string.Join(", ", files.Select(f => $"{f.File}: {f.Groups.Count} queries, {f.Groups.Sum(g => g.Positives.Count)} positives")));
        }
        else
        {
            var pseudoOptions = PseudoOptions(o.PseudoQueries, seed);
            var (groups, report) = PseudoQueryGenerator.Generate(store, pseudoOptions, ct);
            if (groups.Count == 0) throw new InvalidInputException(NoPseudoQueries(report, pseudoOptions));
            all = groups;
            Stat("training data", $"self-supervised pseudo-queries from the index (--pseudo-queries {o.PseudoQueries.ToString().ToLowerInvariant()}): {report.Kept} queries from {report.Documents} documents " +
                $"({report.SpanQueries} inverse-cloze sentences, each removed from its document's text; {report.TitleQueries} titles; skipped {report.SkippedShort} short documents, {report.SkippedNoSpan} without a usable sentence)");
        }

        // Cross-validation replaces a held-out dev set that would be too small to measure a change (CrossValidationFolds.Choose).
        var queryCount = all.Select(g => g.QueryId).Distinct().Count();
        var heldOutQueries = o.Qrels is null || o.DevQrels is not null ? 0 : ValidationSplit.HoldOut(all, o.DevFraction, seed).Dev.Select(g => g.QueryId).Distinct().Count();
        var folds = o.MineOnly ? null : CrossValidationFolds.Choose(TrainCommand.RequestedFolds(parse), o.Qrels is not null, o.DevQrels is not null, TrainCommand.DevFractionGiven(parse),
            queryCount, heldOutQueries);
        CrossValidationFolds? crossValidation = null;
        if (folds is { } k)
        {
            var why = TrainCommand.RequestedFolds(parse) is null
                ? $"{k}-fold cross-validation was chosen because a {string.Create(CultureInfo.InvariantCulture, $"{o.DevFraction * 100:0.##}")}% hold-out would be {TrainCommand.Counted(heldOutQueries, "dev ")}, fewer than {CrossValidationFolds.MinHeldOutQueries}"
                : $"--cv-folds {k} judges by cross-validation";
            TrainCommand.CheckCrossValidationOptions(parse, why);
            crossValidation = CrossValidationFolds.Assign(all, k, seed);
            Stat("dev", $"none held out: {why}. Each fold's fine-tune trained on the other folds' queries and was judged on its own; the final model trained on all {queryCount} queries");
        }

        // Mining only: every query is written; validation is chosen when training on the file.
        TrainDevSplit split = o.MineOnly || crossValidation is not null ? new TrainDevSplit(all, [])
            : o.DevQrels is not null
            ? ValidationSplit.Explicit(all, o.Qrels ?? o.Triples ?? (mined is null ? null : string.Join(", ", mined)) ?? "pseudo-queries", BeirTrainingReader.Read(o.Queries!, o.DevQrels, store, missing), o.DevQrels)
            : o.SelfSupervised
            ? ValidationSplit.HoldOutDocuments(all, o.DevFraction, seed) // --dev-fraction counts documents: a document may give a title and a sentence
            : ValidationSplit.HoldOutJudgeable(all, o.DevFraction, seed); // judged queries (qrels) are all judgeable: a plain hold-out then
        if (o.SelfSupervised && !o.MineOnly && o.DevQrels is null)
        {
            // Held out by document: no pseudo-query of a held-out document (its title with --pseudo-queries both) is trained on.
            var heldOut = split.Dev.SelectMany(g => g.Positives).Select(p => p.DocId).OfType<string>().Distinct().ToList();
            var heldOutSet = heldOut.ToHashSet(StringComparer.Ordinal);
            var depth = TrainCommand.ServingDepth(parse);
            var (dev, report) = SelfSupervisedDev.Build(heldOut, store, firstStage, depth, PseudoOptions(o.PseudoQueries, seed), ct);
            split = new TrainDevSplit(split.Train.Where(g => !g.Positives.Any(p => p.DocId is { } id && heldOutSet.Contains(id))).ToArray(), dev);
            Stat("dev", $"self-supervised: one inverse-cloze sentence of each of {report.HeldOut} held-out documents ({o.DevFraction:P0}, none trained on) as the query, " +
                $"its document shown to the cross-encoder with that sentence removed among {firstStage.Name}'s top {depth} for the sentence: {report.Kept} queries " +
                $"({report.AtTop} of them with the source at {firstStage.Name} rank 1, an inflated rank since the index still holds the sentence; dropped: {report.NotRetrieved} not retrieved, " +
                $"{report.NoSentence} without a usable sentence). Judged: the cross-encoder alone (score mode replace) over those candidates; no weight is tuned or judged on it");
            log.LogInformation("Self-supervised dev set: {Kept} inverse-cloze sentences of {HeldOut} held-out documents, each source shown with its sentence removed among {Stage} top {Depth} " +
                "({NotRetrieved} not retrieved and {NoSentence} without a usable sentence were dropped); only the cross-encoder alone is judged on it",
                report.Kept, report.HeldOut, firstStage.Name, depth, report.NotRetrieved, report.NoSentence);
        }
        else if (crossValidation is null && !o.MineOnly && o.DevQrels is null && split.Dev.Count == 0)
        {
            // Triples whose positives are texts: no query could be judged, so none was held out (each trains).
            var judgeable = all.Where(ValidationSplit.CanBeJudged).Select(g => g.QueryId).Distinct().Count();
            var field = o.Triples is not null ? " (positive_id)" : "";
            var why = judgeable == 0
                ? $"no training query has a positive named by index id{field}, and a positive given as text cannot be found among the first stage's candidates"
                : $"only {TrainCommand.Counted(judgeable)} {(judgeable == 1 ? "has" : "have")} a positive named by index id{field}, too few to hold one out";
            Stat("dev", $"none: {why}; every training query is trained on and nothing is validated");
            log.LogWarning("No query is held out for validation: {Why}. All {Count} training queries are trained on. To validate, {Fix}.",
                why, all.Select(g => g.QueryId).Distinct().Count(), o.Triples is not null ? "give positive_id in the triples or pass --queries with --dev-qrels" : "pass --queries with --dev-qrels");
        }
        else if (crossValidation is null)
            Stat("dev", o.MineOnly ? "none (--mine-only)" : o.DevQrels is not null ? $"{o.DevQrels}: {split.Dev.Count} queries"
                : $"seeded hold-out of {o.DevFraction:P0} of the training queries{(all.Any(g => !ValidationSplit.CanBeJudged(g)) ? " that can be judged (a positive named by index id)" : "")}: {split.Dev.Count} queries");

        if (missing is { Count: > 0 })
        {
            log.LogWarning("Skipped {Count} judgments of documents the index does not have (--skip-missing-documents): {Ids}",
                missing.Count, string.Join(", ", missing.Take(10)));
            Stat("judgments skipped", $"{missing.Count} of documents missing from the index ({string.Join(", ", missing.Take(10))})");
        }
        var train = split.Train;
        if (mine)
        {
            var miningOptions = TrainCommand.MiningOptionsFrom(parse, seed);
            var (filter, filterModel, filterFolder) = TrainCommand.FalseNegativeScorer(parse);
            MiningResult result;
            using (filterModel)
            {
                result = new HardNegativeMiner(new RetrieverCandidateSource(firstStage), store, miningOptions, filter).Mine(train, ct);
            }
            if (filter is not null) Stat("false-negative filter", $"{filterFolder}, margin {miningOptions.FalseNegativeMargin.ToString(CultureInfo.InvariantCulture)}: {result.Report.FalseNegativesDropped} candidates dropped");
            train = result.Groups;
            var text = result.Report.Format();
            log.LogInformation("Hard-negative mining ({Stage} ranks [{Min}, {Max}), {N} per positive, {Sampling}):\n{Report}",
                firstStage.Name, miningOptions.RangeMin, miningOptions.RangeMax, miningOptions.NumNegatives, miningOptions.Sampling, text.TrimEnd());
            Stat("mining", $"{firstStage.Name} ranks [{miningOptions.RangeMin}, {miningOptions.RangeMax}), {miningOptions.NumNegatives} negatives per positive, {miningOptions.Sampling.ToString().ToLowerInvariant()} sampling, {miningOptions.CorpusNegatives} corpus negatives per positive, seed {seed}");
            Stat("mining report", text.Trim().Replace("\n", "; ", StringComparison.Ordinal));
        }
        if (o.WriteMined is not null)
        {
            TrainingGroupsFile.Write(o.WriteMined, train, o.Overwrite);
            log.LogInformation("Wrote {Count} training groups to {File}", train.Count, o.WriteMined);
        }
        Stat("training queries", train.Count);
        if (crossValidation is not null)
            return new TrainingData(train, null, Cap(all, o.MaxDevQueries, seed, stats, "training queries judged by cross-validation"), stats, crossValidation);
        return new TrainingData(train, null, Cap(split.Dev, o.MaxDevQueries, seed, stats), stats);
    }

    /// <summary>
    /// Checks the combination of data options (one training source, what each needs, --pseudo-queries only with
    /// --self-supervised), with the flags' names, before the index, the first stage or the starting model is opened.
    /// </summary>
    /// <exception cref="InvalidInputException">A combination that cannot run, with the fix.</exception>
    public static void CheckOptions(ParseResult parse)
    {
        var o = TrainCommand.DataOptions(parse);
        var mined = o.Mined is { Length: > 0 } ? o.Mined : null;
        var sources = new[] { o.Qrels is not null, o.Triples is not null, o.Pairs is not null, o.SelfSupervised, mined is not null }.Count(x => x);
        if (sources == 0 && o.PseudoQueriesGiven)
            throw new InvalidInputException(
                "Give exactly one training source: --queries with --qrels, --triples FILE, --pairs FILE, --mined FILE, or --self-supervised. " +
                "--pseudo-queries only chooses the pseudo-queries of --self-supervised: add --self-supervised.");
        if (sources != 1)
            throw new InvalidInputException(
                "Give exactly one training source: --queries with --qrels, --triples FILE, --pairs FILE, --mined FILE, or --self-supervised.");
        // Pairs and triples bring their own negatives and mined groups were mined already: a mining option would do nothing
        // (and with pairs, which are never grouped, --write-mined would write nothing).
        var fixedSource = o.Pairs is not null ? "--pairs trains on the labelled pairs as given"
            : o.Triples is not null ? "--triples trains on each triple's own negative"
            : mined is not null ? "--mined trains on the negatives mined earlier"
            : null;
        if (fixedSource is not null && TrainCommand.GivenMiningOptions(parse, withCounts: mined is null, withWrites: o.Pairs is not null) is { Count: > 0 } idle)
        {
            var flags = idle.Count == 1 ? idle[0] : string.Join(", ", idle[..^1]) + " and " + idle[^1];
            var fix = mined is not null
                ? $"give {(idle.Count == 1 ? "it" : "them")} to the run that mines (--queries with --qrels and --write-mined)"
                : "train on --queries with --qrels (or --self-supervised) to mine negatives from the index";
            throw new InvalidInputException(
                $"{fixedSource}, so nothing is mined and {flags} {(idle.Count == 1 ? "does" : "do")} nothing: drop {(idle.Count == 1 ? "it" : "them")}, or {fix}.");
        }
        if (o.PseudoQueriesGiven && !o.SelfSupervised)
            throw new InvalidInputException("--pseudo-queries chooses the pseudo-queries of --self-supervised; drop it, or train with --self-supervised instead of judged queries.");
        if (o.Qrels is not null && o.Queries is null)
            throw new InvalidInputException("--qrels needs --queries (the BEIR queries.jsonl holding the query texts).");
        if (o.DevQrels is not null && o.Queries is null)
            throw new InvalidInputException("--dev-qrels needs --queries (the BEIR queries.jsonl holding the dev query texts).");
        if (mined is { Length: > 1 } && o.DevQrels is null)
            throw new InvalidInputException(
                $"{mined.Length} --mined files are pooled, so a held-out fraction of them would mix queries of other indexes into validation, " +
                "which reranks --index only. Pass --queries and --dev-qrels with dev queries of --index.");
        if (o.MineOnly && TrainCommand.RequestedFolds(parse) is not null)
            throw new InvalidInputException("--cv-folds chooses how a fine-tune is judged, and --mine-only trains nothing: drop --cv-folds (cross-validation works on --queries with --qrels, which mine as they train).");
        if (TrainCommand.RequestedFolds(parse) is { } requested)
            CrossValidationFolds.CheckRequested(requested, o.Qrels is not null, o.DevQrels is not null, TrainCommand.DevFractionGiven(parse));
        if (o.DevFraction is <= 0 or >= 1)
            throw new InvalidInputException($"--dev-fraction must be between 0 and 1 (exclusive); got {o.DevFraction}.");
    }

    /// <summary>
    /// Why --self-supervised has nothing to train on: the counts of <paramref name="report"/>, what a usable document
    /// needs, and the alternative (titles when the source was sentences).
    /// </summary>
    internal static string NoPseudoQueries(PseudoQueryReport report, PseudoQueryOptions options)
    {
        var mode = options.Source.ToString().ToLowerInvariant();
        var needs = $"An inverse-cloze (sentence) query needs a document text of at least {options.MinDocumentWords} words with at least 2 sentences " +
            $"(each ending in . ! or ? followed by a space), one of them {options.MinQueryWords} to {options.MaxQueryWords} words long";
        var alternative = options.Source == PseudoQuerySource.Sentences
            ? "When the documents have titles, --pseudo-queries titles uses each title as the query instead; otherwise index longer documents, or train on judged queries (--queries with --qrels)."
            : "A title query needs a document with a title and a non-empty text, and none had both. Index the documents with their titles, or train on judged queries (--queries with --qrels).";
        return $"--self-supervised (--pseudo-queries {mode}) made no pseudo-query from the {report.Documents} documents of the index: " +
            $"{report.SkippedShort} with fewer than {options.MinDocumentWords} words, {report.SkippedNoSpan} without a usable sentence. {needs}. {alternative}";
    }

    /// <summary>The pseudo-query settings of a run: the defaults, with --pseudo-queries and --seed.</summary>
    private static PseudoQueryOptions PseudoOptions(PseudoQuerySource source, int seed) => new() { Seed = seed, Source = source };

    /// <summary>The statistics key recorded when --max-dev-queries left dev queries out.</summary>
    private const string DevCappedKey = "dev used for validation";

    /// <summary>A seeded subset of at most <paramref name="max"/> dev queries, in their original order.</summary>
    private static IReadOnlyList<TrainingGroup> Cap(IReadOnlyList<TrainingGroup> dev, int max, int seed, List<KeyValuePair<string, string>> stats, string what = "dev queries")
    {
        if (max <= 0 || dev.Count <= max) return dev;
        var random = new Random(seed);
        var keep = Enumerable.Range(0, dev.Count).OrderBy(_ => random.Next()).Take(max).Order().ToList();
        stats.Add(new(DevCappedKey, $"{max} of {dev.Count} {what} (seeded choice, --max-dev-queries)"));
        return keep.Select(i => dev[i]).ToList();
    }
}
