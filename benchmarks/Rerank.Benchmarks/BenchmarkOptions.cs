using System.Globalization;

namespace Rerank.Benchmarks;

/// <summary>Command-line options; every one has a default that fits a 2-core machine in under 8 minutes.</summary>
internal sealed record BenchmarkOptions
{
    /// <summary>Sequence lengths of the grid. Default 128, 256, 512.</summary>
    public IReadOnlyList<int> Lengths { get; init; } = [128, 256, 512];

    /// <summary>Batch sizes of the grid. Default 1, 16, 64.</summary>
    public IReadOnlyList<int> Batches { get; init; } = [1, 16, 64];

    /// <summary>Skip batch 64 at length 512 (the slowest cell: ~64 x 13 GFLOP per sample). Default true in --quick.</summary>
    public bool Skip512x64 { get; init; }

    /// <summary>Interleaved rounds (samples per contender) in each grid cell. Default 5; 3 in --quick.</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>A sample repeats its run until at least this long. Default 0.3 s.</summary>
    public double MinSampleSeconds { get; init; } = 0.3;

    /// <summary>SciFact queries (first of qrels/test.tsv). Default 50; 10 in --quick.</summary>
    public int Queries { get; init; } = 50;

    /// <summary>Candidates per query. Default 20.</summary>
    public int DocsPerQuery { get; init; } = 20;

    /// <summary>Max length of the SciFact section (Predict's cap and the fixed padding). Default 512, the library default.</summary>
    public int ScifactMaxLength { get; init; } = 512;

    /// <summary>CPU threads for libtorch and ONNX Runtime intra-op. Default 2.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Seed of the random head, the SciFact sample and the profile tensors. Default 13.</summary>
    public int Seed { get; init; } = 13;

    /// <summary>The SciFact folder (corpus.jsonl, queries.jsonl, qrels/test.tsv).</summary>
    public string Scifact { get; init; } = "/work/shared/datasets/scifact";

    /// <summary>Scratch folder for the imported encoder and the benchmark model. Default: a temp folder.</summary>
    public string? WorkDir { get; init; }

    /// <summary>A trained one-label cross-encoder folder for the bf16 agreement check instead of the random head.</summary>
    public string? Model { get; init; }

    /// <summary>SciFact documents the embedder section embeds (the first of corpus.jsonl). Default 300.</summary>
    public int EmbedDocs { get; init; } = 300;

    /// <summary>SciFact queries the embedder section embeds one at a time (the first of queries.jsonl). Default 100.</summary>
    public int EmbedQueries { get; init; } = 100;

    /// <summary>Training rows per update in the training section (each row: 1 positive + 3 negatives at L = 128). Default 8 (the rerank-train recipe).</summary>
    public IReadOnlyList<int> TrainBatches { get; init; } = [8];

    /// <summary>Sections to run: engines, grid, profile, scifact (default: these four), and on request int8variants, ortprofile, embedder, embedder-finetune, training, scale-*.</summary>
    public IReadOnlySet<string> Sections { get; init; } = new HashSet<string> { "engines", "grid", "profile", "scifact" };

    /// <summary>Time TorchSharp bf16 in the engines section too (--engines-bf16). Default false.</summary>
    public bool WithBf16 { get; init; }

    /// <summary>The index the scale sections read (and scale-vectors writes vectors into): --index DIR.</summary>
    public string? ScaleIndex { get; init; }

    /// <summary>SciFact test queries timed by scale-bm25 and scale-dense (the first N of qrels/test.tsv). Default 300 (all).</summary>
    public int ScaleQueries { get; init; } = 300;

    /// <summary>Candidate counts of scale-rerank. Default 20, 50, 100, 200.</summary>
    public IReadOnlyList<int> ScaleCandidates { get; init; } = [20, 50, 100, 200];

    /// <summary>A TSV file the scale sections append "size, cell, statistic, value" rows to (eval/speed/scale.sh's table).</summary>
    public string? ScaleResults { get; init; }

    /// <summary>embedder-finetune: BEIR queries.jsonl (--ft-queries).</summary>
    public string? FinetuneQueries { get; init; }

    /// <summary>embedder-finetune: the training judgments (--ft-qrels).</summary>
    public string? FinetuneQrels { get; init; }

    /// <summary>embedder-finetune: the new folder the fine-tuned embedder is saved to (--ft-output).</summary>
    public string? FinetuneOutput { get; init; }

    /// <summary>embedder-finetune: replace an existing embedder folder at --ft-output (--ft-overwrite); a folder holding anything else is never replaced.</summary>
    public bool FinetuneOverwrite { get; init; }

    /// <summary>embedder-finetune: rows per batch (--ft-batch). Default 32.</summary>
    public int FinetuneBatch { get; init; } = 32;

    /// <summary>embedder-finetune: epochs (--ft-epochs). Default 1.</summary>
    public int FinetuneEpochs { get; init; } = 1;

    /// <summary>embedder-finetune: peak learning rate (--ft-lr). Default 2e-5.</summary>
    public double FinetuneLearningRate { get; init; } = 2e-5;

    /// <summary>embedder-finetune: the seed of mining, batches and dropout (--ft-seed). Default 42.</summary>
    public int FinetuneSeed { get; init; } = 42;

    /// <summary>Section prf's dev sets: name, index folder, queries.jsonl and dev qrels of each (<c>--dev-sets NAME=INDEX=QUERIES=QRELS;...</c>).</summary>
    public IReadOnlyList<(string Name, string Index, string Queries, string Qrels)>? DevSets { get; init; }

    /// <summary>Also write the markdown report here.</summary>
    public string? Out { get; init; }

    /// <summary>The options, for --help and for an unknown option's message.</summary>
    public const string Usage = "Options: --quick --lengths 128,256,512 --batches 1,16,64 --train-batches 8 "
        + "--skip-512x64 --rounds N --min-sample S --queries N --docs N --scifact-max-length N "
        + "--threads N --seed N --scifact DIR --work DIR --model DIR --sections engines,int8variants,ortprofile,grid,profile,scifact,training,embedder,embedder-finetune,prf,scale-bm25,scale-vectors,scale-dense,scale-rerank "
        + "--embed-docs N --embed-queries N --engines-bf16 --out FILE "
        + "--index DIR --scale-queries N --candidates 20,50,100,200 --scale-results FILE "
        + "--ft-queries FILE --ft-qrels FILE --ft-output DIR --ft-overwrite --ft-batch 32 --ft-epochs 1 --ft-lr 2e-5 --ft-seed 42 (section embedder-finetune) "
        + "--dev-sets NAME=INDEX=QUERIES=QRELS;... (section prf). Commands and results: docs/BENCHMARKS.md.";

    public static BenchmarkOptions Parse(string[] args)
    {
        var options = new BenchmarkOptions();
        if (args.Contains("--quick"))
            options = options with { Rounds = 3, Queries = 10, Skip512x64 = true };
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            var flag = args[i];
            int Whole(string text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
                : throw new ArgumentException($"{flag} takes whole numbers, found '{text}'.");
            int Int() => Whole(Value());
            IReadOnlyList<int> Ints() => Value().Split(',').Select(Whole).ToList();
            options = args[i] switch
            {
                "--quick" => options,
                "--lengths" => options with { Lengths = Ints() },
                "--batches" => options with { Batches = Ints() },
                "--train-batches" => options with { TrainBatches = Ints() },
                "--skip-512x64" => options with { Skip512x64 = true },
                "--engines-bf16" => options with { WithBf16 = true },
                "--rounds" => options with { Rounds = Int() },
                "--min-sample" => options with { MinSampleSeconds = Number(flag, Value()) },
                "--queries" => options with { Queries = Int() },
                "--docs" => options with { DocsPerQuery = Int() },
                "--scifact-max-length" => options with { ScifactMaxLength = Int() },
                "--threads" => options with { Threads = Int() },
                "--seed" => options with { Seed = Int() },
                "--scifact" => options with { Scifact = Value() },
                "--work" => options with { WorkDir = Value() },
                "--model" => options with { Model = Value() },
                "--out" => options with { Out = Value() },
                "--embed-docs" => options with { EmbedDocs = Int() },
                "--embed-queries" => options with { EmbedQueries = Int() },
                "--index" => options with { ScaleIndex = Value() },
                "--scale-queries" => options with { ScaleQueries = Int() },
                "--candidates" => options with { ScaleCandidates = Ints() },
                "--scale-results" => options with { ScaleResults = Value() },
                "--ft-queries" => options with { FinetuneQueries = Value() },
                "--ft-qrels" => options with { FinetuneQrels = Value() },
                "--ft-output" => options with { FinetuneOutput = Value() },
                "--ft-overwrite" => options with { FinetuneOverwrite = true },
                "--ft-batch" => options with { FinetuneBatch = Int() },
                "--ft-epochs" => options with { FinetuneEpochs = Int() },
                "--ft-lr" => options with { FinetuneLearningRate = Number(flag, Value()) },
                "--ft-seed" => options with { FinetuneSeed = Int() },
                "--dev-sets" => options with { DevSets = Value().Split(';', StringSplitOptions.RemoveEmptyEntries).Select(DevSet).ToList() },
                "--sections" => options with { Sections = Value().Split(',').ToHashSet(StringComparer.Ordinal) },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. {Usage}"),
            };
        }
        if (options.Lengths.Count == 0 || options.Lengths.Any(l => l is < 4 or > 512) || options.Batches.Count == 0 || options.Batches.Any(b => b < 1))
            throw new ArgumentException("--lengths takes token counts from 4 to 512 (BERT's positions) and --batches batch sizes of at least 1, e.g. --lengths 128,256 --batches 16.");
        if (options.TrainBatches.Count == 0 || options.TrainBatches.Any(b => b < 1)) throw new ArgumentException("--train-batches needs row counts of at least 1.");
        if (options.Rounds < 1 || options.Queries < 1 || options.DocsPerQuery < 1 || options.Threads < 1 || options.EmbedDocs < 1
            || options.EmbedQueries < 1 || options.ScaleQueries < 1)
            throw new ArgumentException("--rounds, --queries, --docs, --threads, --embed-docs, --embed-queries and --scale-queries must be at least 1.");
        if (options.ScaleCandidates.Count == 0 || options.ScaleCandidates.Any(n => n < 1))
            throw new ArgumentException("--candidates takes positive counts, e.g. 20,50,100,200.");
        if (!(options.MinSampleSeconds >= 0))
            throw new ArgumentException("--min-sample takes seconds, at least 0.");
        if (options.Sections.Count == 0 || options.Sections.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("--sections takes section names separated by commas, e.g. --sections engines,embedder.");
        // The report is written at the end of a run that may take an hour: its folder must exist before the run starts.
        if (options.Out is { } outFile && Path.GetDirectoryName(Path.GetFullPath(outFile)) is { } outDir && !Directory.Exists(outDir))
            throw new ArgumentException($"--out {outFile}: the folder {outDir} does not exist; create it or choose another file.");
        if (options.Model is { } model && !Directory.Exists(model))
            throw new ArgumentException($"--model {model}: no such folder; pass a cross-encoder folder (e.g. models/default-reranker).");
        // Every section but scale-*, prf and embedder-finetune reads SciFact pairs.
        if (options.Sections.Any(x => !x.StartsWith("scale-", StringComparison.Ordinal) && x is not ("prf" or "embedder-finetune"))
            && !File.Exists(Path.Combine(options.Scifact, "queries.jsonl")))
            throw new ArgumentException($"--scifact {options.Scifact}: no queries.jsonl there; pass the SciFact folder (BEIR layout: corpus.jsonl, queries.jsonl, qrels/).");
        if (options.Sections.Any(x => x.StartsWith("scale-", StringComparison.Ordinal)) && options.ScaleIndex is null)
            throw new ArgumentException("The scale sections need --index DIR.");
        var unknown = options.Sections.Except(["engines", "int8variants", "ortprofile", "grid", "profile", "scifact", "training", "embedder", "embedder-finetune", "prf", .. ScaleBenchmark.Sections]).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown section(s) {string.Join(", ", unknown)}; expected engines, int8variants, ortprofile, grid, profile, scifact, training, embedder, embedder-finetune, prf, {string.Join(", ", ScaleBenchmark.Sections)}.");
        return options;
    }

    private static double Number(string flag, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) ? x
            : throw new ArgumentException($"{flag} takes a number, found '{text}'.");

    private static (string Name, string Index, string Queries, string Qrels) DevSet(string spec) =>
        spec.Split('=') is [var name, var index, var queries, var qrels]
            ? (name, index, queries, qrels)
            : throw new ArgumentException($"--dev-sets: expected NAME=INDEX=QUERIES=QRELS, found '{spec}'.");
}
