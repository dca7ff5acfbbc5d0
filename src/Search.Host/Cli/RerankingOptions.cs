using System.CommandLine;
using Rerank.Lucene.Reranking;
using Search.Host.Hosting;

namespace Search.Host.Cli;

/// <summary>
/// The reranking flags, spelled the same on <c>search</c>, <c>eval</c> and <c>score</c>, each bound to
/// its <c>SearchHost:Reranker:*</c> setting so appsettings.json and environment variables can set them too.
/// </summary>
internal static class RerankingOptions
{
    private const string Section = $"{SearchHostOptions.Section}:Reranker";

    public static readonly Option<string> Reranker = new("--reranker", "-r")
    {
        Description = "Cross-encoder model folder (Hugging Face layout, e.g. written by rerank-train).",
    };

    public static readonly Option<int> Candidates = new Option<int>("--candidates")
    {
        Description = "First-stage candidates (BM25, dense or hybrid) the reranker rescores per query: the rescore window, as Elasticsearch's window_size. Default 100. Hits asked for below the window follow the reranked ones in first-stage order.",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.Candidates));

    public static readonly Option<int> BatchSize = new Option<int>("--batch-size")
    {
        Description = "Pairs per forward pass. Default 16.",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.BatchSize));

    public static readonly Option<int> MaxLength = new Option<int>("--max-length")
    {
        Description = "Max tokens per (query, document) pair; longer pairs are truncated longest-first. Default: max_length of the folder's searchrerank.json, else model_max_length of its tokenizer_config.json, capped at the model's positions (the positions when neither is set).",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.MaxLength));

    public static readonly Option<string> Device = new Option<string>("--device")
    {
        Description = "auto (CUDA when available, else CPU), cpu, cuda or cuda:N. Default auto.",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.Device));

    public static readonly Option<string> Precision = new Option<string>("--precision")
    {
        Description = "auto (default: chosen per device and CPU when the model loads; the choice is logged), fp32, bf16 (TorchSharp; faster on CPUs with AVX-512 bf16) "
                      + "or int8 (ONNX Runtime, CPU; dynamic quantization). See README and docs/BENCHMARKS.md.",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.Precision));

    public static readonly Option<string> Engine = new Option<string>("--engine")
    {
        Description = "auto (default: onnxruntime on the CPU, torchsharp on CUDA and for bf16), onnxruntime or torchsharp. "
                      + "The query embedder of dense and hybrid search follows it too (at the precision its index records).",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.Engine));

    public static readonly Option<int> Threads = new Option<int>("--threads")
    {
        Description = "CPU threads for the model. Default: one per core.",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.Threads));

    public static readonly Option<string> ScoreMode = new Option<string>("--score-mode")
    {
        Description = "replace: rank by the cross-encoder score; interpolate: mix min-max normalised BM25 and cross-encoder scores. Default: the mode the trainer found best on dev (stored with the model), else replace.",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.ScoreMode));

    public static readonly Option<double> InterpolationWeight = new Option<double>("--interpolation-weight")
    {
        Description = "Cross-encoder weight (0-1) for --score-mode interpolate. Default: the weight tuned on dev data and stored with the model.",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.InterpolationWeight));

    public static readonly Option<string> Passages = new Option<string>("--passages")
    {
        Description = "How long documents are scored: first (the whole document, truncated at the model's max length), max (the best of overlapping word windows, BERT-MaxP) or sum. Default: what is stored with the model, else first.",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.Passages));

    public static readonly Option<int> PassageWords = new Option<int>("--passage-words")
    {
        Description = $"Words per passage window for --passages max|sum. Default {PassageOptions.DefaultWords}.",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.PassageWords));

    public static readonly Option<int> PassageStride = new Option<int>("--passage-stride")
    {
        Description = "Words between passage window starts for --passages max|sum. Default half the window.",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.PassageStride));

    public static readonly Option<int> PassageSelect = new Option<int>("--passage-select")
    {
        Description = "With --passages max|sum (typed with it: a typed --passages replaces the model's passages as a whole): score only each document's N passages that match the query best by BM25 (N pairs per document at most). Without it the model's setting applies (the default reranker reads 1).",
    }.CheckedAs(typeof(RerankerHostOptions), nameof(RerankerHostOptions.PassageSelect));

    /// <summary>
    /// <c>--no-rerank</c>: BM25 only. A flag typed on the command line overrides configuration, so it also
    /// turns off a reranker set as SearchHost:Reranker:Model in appsettings.json or the environment.
    /// </summary>
    public static readonly Option<bool> NoRerank = new("--no-rerank")
    {
        Description = "BM25 only: no reranking, even when a reranker is set in appsettings.json or SEARCHRERANK_SearchHost__Reranker__Model, or models/default-reranker exists in the working folder.",
    };

    /// <summary>
    /// The model to rerank with, or null for BM25 only: none with <c>--no-rerank</c> (a flag beats configuration),
    /// else <c>--reranker</c> or the configured model, else, when <paramref name="useDefault"/>, the default model if present.
    /// </summary>
    /// <exception cref="Rerank.Lucene.InvalidInputException">Both <c>--no-rerank</c> and <c>--reranker</c> are typed.</exception>
    public static string? Model(ParseResult parse, SearchHostOptions options, bool useDefault)
    {
        if (parse.GetValue(NoRerank))
        {
            if (parse.GetResult(Reranker) is { Implicit: false })
                throw new Rerank.Lucene.InvalidInputException("--no-rerank and --reranker contradict each other; pass one of them.");
            return null;
        }
        return options.Reranker.Model ?? (useDefault ? DefaultReranker.Find() : null);
    }

    /// <summary>
    /// Refuses reranking flags typed on the command line where nothing they set runs, rather than ignoring them: without a
    /// reranker, the flags only the reranker reads (<c>--candidates</c>, <c>--batch-size</c>, <c>--score-mode</c>, ...); and
    /// <c>--precision</c> (the query embedder embeds at the index's precision); and where no query is embedded (<c>batch</c>,
    /// or a BM25-only first stage), also <c>--engine</c>, <c>--device</c> and <c>--threads</c>, which the query embedder of
    /// dense and hybrid search shares. Values from configuration are not checked (a settings file serves several commands).
    /// </summary>
    /// <param name="parse">The parse result.</param>
    /// <param name="reranks">Whether a reranker runs.</param>
    /// <param name="embedsQueries">Whether the command embeds queries (a dense stage is open: dense or hybrid retrieval, or eval over an
    /// index with vectors; batch: never).</param>
    /// <param name="lookedForDefault">Whether the command looked for the default reranker (as <see cref="Model"/>'s useDefault), for the
    /// message saying why no reranker runs.</param>
    /// <exception cref="Rerank.Lucene.InvalidInputException">Names the flags, why they do not apply and the way out.</exception>
    public static void RequireModelFlagsApply(ParseResult parse, bool reranks, bool embedsQueries, bool lookedForDefault)
    {
        if (reranks) return;
        var noReranker = parse.GetValue(NoRerank) ? "--no-rerank"
            : lookedForDefault ? "no --reranker given and no default reranker found" : "no --reranker given";
        List<string> Typed(IEnumerable<Option> options) => [.. options.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name)];
        static string Them(List<string> flags) => flags.Count == 1 ? "it" : "them";
        static string Set(List<string> flags) => flags.Count == 1 ? "sets" : "set";
        var rerankerOnly = Typed([Candidates, BatchSize, MaxLength, ScoreMode, InterpolationWeight, Passages, PassageWords, PassageStride, PassageSelect]);
        if (rerankerOnly.Count > 0)
            throw new Rerank.Lucene.InvalidInputException(
                $"{string.Join(", ", rerankerOnly)} {Set(rerankerOnly)} how the reranker scores, and no reranker runs here ({noReranker}): drop {Them(rerankerOnly)}, or pass --reranker DIR.");
        // The query embedder shares --engine, --device and --threads, never --precision: it embeds at the index's precision.
        var precision = Typed([Precision]);
        if (precision.Count > 0 && embedsQueries)
            throw new Rerank.Lucene.InvalidInputException(
                $"--precision sets how the reranker runs, and no reranker runs here ({noReranker}; the query embedder embeds at the precision "
                + "the index's vectors were made at): drop it, or pass --reranker DIR.");
        var shared = Typed([Engine, Precision, Device, Threads]);
        if (shared.Count > 0 && !embedsQueries)
            throw new Rerank.Lucene.InvalidInputException(
                $"{string.Join(", ", shared)} {Set(shared)} how the reranker runs, and no reranker runs here ({noReranker}; this {(lookedForDefault ? "search" : "command")} ranks with BM25): drop {Them(shared)}, or pass --reranker DIR.");
    }

    /// <summary>
    /// Options that, typed, replace their companions' configured values as a whole (<see cref="CliRunner.ExplicitSettings"/>):
    /// --passages with the window, stride and selection, so typed passages are exactly what was typed.
    /// </summary>
    public static IReadOnlyDictionary<Option, Option[]> ReplacedTogether { get; } = new Dictionary<Option, Option[]>
    {
        [Passages] = [PassageWords, PassageStride, PassageSelect],
    };

    /// <summary>All reranking flags, in help order.</summary>
    public static Option[] All => [Reranker, Candidates, BatchSize, MaxLength, Device, Precision, Engine, Threads, ScoreMode, InterpolationWeight, Passages, PassageWords, PassageStride, PassageSelect];

    /// <summary>Flag to configuration key.</summary>
    public static IEnumerable<KeyValuePair<Option, string>> Bindings =>
    [
        new(Reranker, $"{Section}:Model"),
        new(Candidates, $"{Section}:Candidates"),
        new(BatchSize, $"{Section}:BatchSize"),
        new(MaxLength, $"{Section}:MaxLength"),
        new(Device, $"{Section}:Device"),
        new(Precision, $"{Section}:Precision"),
        new(Engine, $"{Section}:Engine"),
        new(Threads, $"{Section}:Threads"),
        new(ScoreMode, $"{Section}:ScoreMode"),
        new(InterpolationWeight, $"{Section}:InterpolationWeight"),
        new(Passages, $"{Section}:Passages"),
        new(PassageWords, $"{Section}:PassageWords"),
        new(PassageStride, $"{Section}:PassageStride"),
        new(PassageSelect, $"{Section}:PassageSelect"),
    ];

    /// <summary>Library options from validated settings.</summary>
    public static CrossEncoderOptions ToEncoderOptions(RerankerHostOptions o) => new()
    {
        BatchSize = o.BatchSize,
        MaxLength = o.MaxLength,
        Device = o.Device,
        Precision = o.Precision switch
        {
            "fp32" => Rerank.Lucene.Reranking.Precision.Fp32,
            "bf16" => Rerank.Lucene.Reranking.Precision.Bf16,
            "int8" => Rerank.Lucene.Reranking.Precision.Int8,
            _ => Rerank.Lucene.Reranking.Precision.Auto,
        },
        Engine = o.Engine switch
        {
            "onnxruntime" => InferenceEngine.OnnxRuntime,
            "torchsharp" => InferenceEngine.TorchSharp,
            _ => InferenceEngine.Auto,
        },
        Threads = o.Threads,
    };

    /// <summary>
    /// The depth of the runs <c>eval</c> and <c>batch</c> write: <c>--top</c> (SearchHost:EvalDepth) without a reranker;
    /// with one, the candidates, so a reranked run holds exactly what was reranked and every ranking is evaluated at
    /// one depth. A typed <c>--top</c> that differs from the candidates is a contradiction, not silently dropped.
    /// </summary>
    public static int RunDepth(ParseResult parse, Option<int> top, SearchHostOptions options, bool reranking)
    {
        if (!reranking) return options.EvalDepth;
        var candidates = ToRerankOptions(options.Reranker).Candidates;
        if (parse.GetResult(top) is { Implicit: false } && options.EvalDepth != candidates)
            throw new Rerank.Lucene.InvalidInputException(
                $"--top {options.EvalDepth} differs from --candidates {candidates}: with a reranker a run holds the reranked candidates and every ranking is " +
                $"evaluated at that depth, so that MAP and Recall compare like with like. Drop --top, or set --candidates {options.EvalDepth}.");
        return candidates;
    }

    /// <summary>Library rerank options from validated settings.</summary>
    public static RerankOptions ToRerankOptions(RerankerHostOptions o) => new()
    {
        Candidates = o.Candidates,
        ScoreMode = o.ScoreMode switch
        {
            null => null,
            "interpolate" => Rerank.Lucene.Reranking.ScoreMode.Interpolate,
            _ => Rerank.Lucene.Reranking.ScoreMode.Replace,
        },
        InterpolationWeight = o.InterpolationWeight,
        Passages = ToPassageOptions(o),
    };

    /// <summary>
    /// The passages asked for, or null for the model's: --passages picks the mode; window and stride default to
    /// 64 words and half the window, selection to every passage. A window, stride or selection without --passages max|sum
    /// would be ignored, so it is an error.
    /// </summary>
    private static PassageOptions? ToPassageOptions(RerankerHostOptions o)
    {
        if (o.Passages is null or "first")
        {
            // Each setting given, named by its flag and its configuration key (Bindings).
            var keys = Bindings.ToDictionary(b => b.Key, b => b.Value);
            var given = new (int? Value, Option Flag)[] { (o.PassageWords, PassageWords), (o.PassageStride, PassageStride), (o.PassageSelect, PassageSelect) }
                .Where(g => g.Value is not null)
                .Select(g => $"{g.Flag.Name} ({keys[g.Flag]} in configuration)").ToList();
            if (given.Count > 0)
                throw new Rerank.Lucene.InvalidInputException(
                    $"{string.Join(" and ", given)} {(given.Count == 1 ? "splits" : "split")} documents for passages max or sum, and the passages here are "
                    + $"{(o.Passages is null ? "the model's or the whole document" : "first")}: add --passages max (or sum), or set SearchHost:Reranker:Passages in configuration, "
                    + $"or drop {(given.Count == 1 ? "it" : "them")}.");
            return o.Passages is null ? null : PassageOptions.WholeDocument;
        }
        var words = o.PassageWords ?? PassageOptions.DefaultWords;
        var stride = o.PassageStride ?? (o.PassageWords is null ? PassageOptions.DefaultStride : Math.Max(1, (words + 1) / 2));
        return new PassageOptions(o.Passages == "sum" ? PassageMode.Sum : PassageMode.Max, words, stride, o.PassageSelect).Validated("--passage-words/--passage-stride/--passage-select");
    }
}
