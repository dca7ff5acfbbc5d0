using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Rerank.Lucene;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;
using Spectre.Console;

namespace Search.Host.Cli;

/// <summary><c>search-host index</c>: builds a BM25 index from a corpus.</summary>
internal static class IndexCommand
{
    private static readonly Option<string> Corpus = new("--corpus", "-c")
    {
        Description = "Corpus to index: a BEIR corpus.jsonl, a JSONL file with the fields named below, or a folder of .txt/.md files.",
        Required = true,
    };

    private static readonly Option<string> Index = new("--index", "-i")
    {
        Description = "Folder to write the index to.",
        Required = true,
    };

    private static readonly Option<string> Format = new("--format")
    {
        Description = "Corpus format: beir, jsonl or text. Default: text for a folder, beir for a file.",
    };

    private static readonly Option<string> IdField = new("--id-field") { Description = "JSONL field holding the document id. Default: _id." };
    private static readonly Option<string> TitleField = new("--title-field") { Description = "JSONL field holding the title (optional). Default: title." };
    private static readonly Option<string> TextField = new("--text-field") { Description = "JSONL field holding the text. Default: text." };

    private static readonly Option<string> Fields = new("--fields")
    {
        Description = "flat: title and text searched as one field (default; Anserini's BEIR flat runs). multifield: title and text as separate, equally weighted fields.",
        DefaultValueFactory = _ => "flat",
    };

    private static readonly Option<float> K1 = new("--k1")
    {
        Description = "BM25 term-frequency saturation. Default 0.9 (Anserini/BEIR).",
        DefaultValueFactory = _ => 0.9f,
    };

    private static readonly Option<float> B = new("--b")
    {
        Description = "BM25 length normalisation. Default 0.4 (Anserini/BEIR).",
        DefaultValueFactory = _ => 0.4f,
    };

    private static readonly Option<string> KeepFields = new("--keep-fields")
    {
        Description = "JSONL corpora: which other fields of each line to keep with the documents (stored, shown by `get`, filterable with `search --filter`): "
            + "a comma-separated list (lang,year), or none. Default: all top-level fields whose values are strings, numbers, booleans or arrays of those "
            + "(objects such as BEIR's metadata are left out). A field's type (keyword, number or ISO date) is taken from its first value. "
            + "A name no document has is refused. The index records the choice and --update keeps the same fields (a different --keep-fields is refused).",
    };

    private static readonly Option<bool> SkipEmpty = new("--skip-empty")
    {
        Description = "Leave out JSONL documents with neither title nor text instead of stopping at the first one.",
    };

    private static readonly Option<bool> SkipInvalid = new("--skip-invalid")
    {
        Description = "For a folder of .txt/.md files: index the files that can be read and leave out those that cannot (not UTF-8, empty, " +
            "a file name with spaces, a duplicate id), listing each on standard error. Without it, such files stop the command before anything is written.",
    };

    private static readonly Option<bool> Overwrite = new("--overwrite")
    {
        Description = "Replace an existing index (the old one stays intact until the new one is complete).",
    };

    private static readonly Option<bool> Update = new("--update")
    {
        Description = "Add the corpus's documents to an existing index, replacing documents with the same id, with the settings the index records "
            + "(its fields mode, BM25 k1/b, kept fields and embedder; giving other values is refused). A killed or failed update leaves the index as it was.",
    };

    private static readonly Option<string> Embedder = new Option<string>("--embedder")
    {
        Description = "Embed every document (title + text; by default as passages, see --embed-passages) for dense and hybrid retrieval: bundled (default: all-MiniLM-L6-v2, mean pooling, "
            + "normalised, max 256 tokens; slow on CPU: SciFact's 15,575 passages took 7.3 min on 2 lightly loaded cores, 26 min on busy ones, see docs/BENCHMARKS.md), a sentence-transformers folder, or none (BM25 only, fast).",
        DefaultValueFactory = _ => "bundled",
    }.NotEmpty("pass bundled, a sentence-transformers folder or none (BM25 only), or omit --embedder (a build then embeds with the bundled model, an update with the index's own).");

    private static readonly Option<int?> Threads = new Option<int?>("--threads")
    {
        Description = "CPU threads for embedding, 1 to 1024. Default: one per core (the engine's own choice, ONNX Runtime's or libtorch's). On a machine busy with other work, 1 can be faster (see docs/BENCHMARKS.md).",
    }.CheckedAs(typeof(Hosting.RerankerHostOptions), nameof(Hosting.RerankerHostOptions.Threads));

    private static readonly Option<string> Engine = new Option<string>("--engine")
    {
        Description = "Embedding engine: auto (default: onnxruntime on the CPU, torchsharp on CUDA), onnxruntime or torchsharp. "
            + "fp32 vectors of either engine are interchangeable (cosine >= 0.99999); the index records which made them.",
    }.CheckedAs(typeof(Hosting.RerankerHostOptions), nameof(Hosting.RerankerHostOptions.Engine));

    private static readonly Option<string> Device = new Option<string>("--device")
    {
        Description = "Where the embedder runs: auto (default: CUDA when this build's libtorch has it, else the CPU), cpu, cuda or cuda:N "
            + "(CUDA runs TorchSharp). As search's --device; the vectors do not depend on it beyond floating-point rounding.",
    }.CheckedAs(typeof(Hosting.RerankerHostOptions), nameof(Hosting.RerankerHostOptions.Device));

    private static readonly Option<string> Precision = new Option<string>("--precision")
    {
        Description = "Embedding precision: auto (default: fp32; with --update, the index's), fp32, or int8 (ONNX Runtime, CPU; faster, "
            + "vectors at cosine ~0.995 to fp32: mean 0.9949, min 0.9904 on the bundled model). The index records it; queries and updates then embed at the same precision.",
    }.Matching("^(auto|fp32|int8|bf16)$", "auto, fp32 or int8"); // the embedder's own values (the reranker's setting adds bf16, which gets its own message when read)

    private static readonly Option<string> EmbedPassages = new("--embed-passages")
    {
        Description = "How documents are embedded for dense and hybrid retrieval: first (each document once, cut at the embedder's 256 tokens) "
            + "or max (split into overlapping word windows as the cross-encoder's --passages does, every passage embedded, a document scored "
            + "by its best passage: MaxP; more vectors and slower indexing). Default: " + DefaultPassagesText + ". The index records it; --update "
            + "splits added documents the same way (a different value is refused).",
    };

    private static readonly Option<int?> EmbedPassageWords = new("--embed-passage-words")
    {
        Description = $"Words per passage window for --embed-passages max (the default mode). Default {PassageEmbedding.DefaultWords}.",
    };

    private static readonly Option<int?> EmbedPassageStride = new("--embed-passage-stride")
    {
        Description = $"Words between passage window starts for --embed-passages max. Default half the window ({PassageEmbedding.DefaultStride} for the default window).",
    };

    private static string DefaultPassagesText => PassageEmbedding.Default.Mode == PassageMode.First
        ? "first"
        : $"max, {PassageEmbedding.Default.Words}-word windows, stride {PassageEmbedding.Default.Stride}";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("index", "Build a BM25 index (English analysis, stored text) from a corpus, with document vectors for dense/hybrid retrieval (--embedder).\n\n" +
            "Examples:\n  search-host index --corpus corpora/sample/corpus.jsonl --index .idx/sample\n  search-host index --corpus big.jsonl --index .idx/big --embedder none\n" +
            "  search-host index --corpus more.jsonl --index .idx/sample --update      (add new ids, replace existing ones)")
        {
            Corpus, Index, Format, IdField, TitleField, TextField, KeepFields, Fields, K1, B, SkipEmpty, SkipInvalid, Overwrite, Update, Embedder, EmbedPassages, EmbedPassageWords, EmbedPassageStride, Threads, Engine, Precision, Device,
        };
        command.SetAction((parse, ct) => CliRunner.RunAsync(parse, new Dictionary<Option, string>(), (services, token) =>
            Task.FromResult(Run(parse, services, token)), ct));
        return command;
    }

    private static int Run(ParseResult parse, IServiceProvider services, CancellationToken ct)
    {
        var console = ConsoleOutput.For(parse);
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("index");
        var corpusPath = parse.GetRequiredValue(Corpus);
        var indexDir = parse.GetRequiredValue(Index);
        if (string.IsNullOrWhiteSpace(indexDir))
            throw new InvalidInputException("--index is empty: pass the folder to write the index to, such as --index ./idx.");
        if (parse.GetValue(Update)) return RunUpdate(parse, console, log, corpusPath, indexDir, ct);
        RequireNoEmbedderSettings(parse, parse.GetValue(Embedder)?.Trim() == "none" ? "--embedder none builds no document vectors" : null);
        var docs = OpenCorpus(corpusPath, parse, console);
        using var embedder = OpenEmbedder(parse.GetValue(Embedder), EncoderOptions(parse));
        var options = new IndexOptions(
            K1: parse.GetValue(K1),
            B: parse.GetValue(B),
            FieldsMode: ParseFields(parse.GetValue(Fields)),
            Overwrite: parse.GetValue(Overwrite),
            Source: Path.GetFullPath(corpusPath),
            Embedder: embedder,
            KeepFields: ParseKeepFields(parse),
            EmbedPassages: ParseEmbedPassages(parse));

        log.LogInformation("Indexing {Corpus} into {Index} ({Mode}, k1={K1}, b={B}, embedder {Embedder}: {Engine})", corpusPath, indexDir, options.FieldsMode, options.K1, options.B,
            embedder?.ToString() ?? "none", embedder?.EngineDescription ?? "-");
        var existed = File.Exists(Path.Combine(indexDir, IndexManifest.FileName));
        IndexManifest manifest;
        try
        {
            manifest = ProgressDisplay.Run(console, "Indexing", (IProgress<IndexingProgress> progress) =>
                IndexBuilder.Build(docs, indexDir, options, progress, ct));
        }
        catch (OperationCanceledException cancelled) when (ct.IsCancellationRequested)
        {
            throw new CancelledException(existed
                ? $"the index '{indexDir}' is untouched and searches as before; the partial build was removed."
                : $"no index was written to '{indexDir}'; the partial build was removed.", cancelled, ct);
        }

        // An empty index is valid (updates can fill it), but a wrong path that happens to exist is more likely: say so.
        if (manifest.DocumentCount == 0) console.Error.WriteLine($"warning: {corpusPath} has no documents (it is empty or has only blank lines); the index is empty.");
        console.Output.WriteLine(
            $"Indexed {Words.Count(manifest.DocumentCount, "document")} into {indexDir} " +
            $"(fields {manifest.FieldsMode.ToString().ToLowerInvariant()}, k1 {manifest.K1}, b {manifest.B}, fingerprint {manifest.CorpusFingerprint[..12]}).");
        if (manifest.KeptFields is { Count: > 0 } kept)
            console.Output.WriteLine($"Kept fields (stored, filterable): {string.Join(", ", kept.Select(f => $"{f.Key} ({f.Value.ToString().ToLowerInvariant()})"))}.");
        ReportLeftOut(console, docs);
        if (manifest.Embeddings is { } e)
        {
            console.Output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Embedded {Words.Count(e.DocumentCount, "document")}{AsPassages(e, e.Count)} with {e.Model} ({e.Dimension} dims, {e.Pooling} pooling, max {e.MaxLength} tokens) in {e.Seconds:F1} s ({e.DocumentsPerSecond:F1} docs/s)."));
            console.Output.WriteLine($"Embedder engine: {embedder!.EngineDescription}.");
        }
        return 0;
    }

    /// <summary>" as 15,575 passages (max over 128-word passages, stride 64)" for an index with passages, else "".</summary>
    private static string AsPassages(EmbeddingInfo e, long vectors) => e.Passages is null
        ? ""
        : $" as {Words.Count(vectors, "passage")} ({e.PassageOptions})";

    /// <summary>--embed-passages, --embed-passage-words and --embed-passage-stride; null when none is given.</summary>
    private static PassageOptions? ParseEmbedPassages(ParseResult parse)
    {
        var (mode, words, stride) = PassageFlags(parse);
        if (mode is null && words is null && stride is null) return null;
        // A window or stride alone sets the window of the default mode.
        mode ??= PassageEmbedding.Default.Mode == PassageMode.Max ? "max" : "first";
        if (mode == "first")
        {
            if (words is not null || stride is not null) throw WindowNeedsMax();
            return PassageOptions.WholeDocument;
        }
        var w = words ?? PassageEmbedding.DefaultWords;
        var s = stride ?? DefaultStride(w);
        return PassageEmbedding.Validated(new PassageOptions(PassageMode.Max, w, s), "--embed-passage-words/--embed-passage-stride");
    }

    /// <summary>The three passage flags as given (mode lower-cased); an unknown mode and a window given with first are refused.</summary>
    private static (string? Mode, int? Words, int? Stride) PassageFlags(ParseResult parse)
    {
        var mode = parse.GetValue(EmbedPassages)?.Trim().ToLowerInvariant();
        var words = parse.GetValue(EmbedPassageWords);
        var stride = parse.GetValue(EmbedPassageStride);
        if (mode is not (null or "first" or "max"))
            throw new InvalidInputException($"Unknown --embed-passages '{mode}'. Use first (each document embedded once) or max (passages, best one per document).");
        if (mode == "first" && (words is not null || stride is not null)) throw WindowNeedsMax();
        return (mode, words, stride);
    }

    private static InvalidInputException WindowNeedsMax() => new(
        "--embed-passage-words and --embed-passage-stride split documents for --embed-passages max; add --embed-passages max, or drop them.");

    /// <summary>The stride when only the window is given: half of it, rounded up (at least 1), without overflow.</summary>
    internal static int DefaultStride(int words) => Math.Max(1, words / 2 + words % 2);

    /// <summary>
    /// The passage settings of an update: null when none is given; the index's recorded ones when every value given matches
    /// them (an option not given is taken from the record, never from the build defaults).
    /// </summary>
    /// <exception cref="InvalidInputException">A value given differs from the record; the message names only the values given.</exception>
    private static PassageOptions? UpdatePassages(ParseResult parse, IndexManifest manifest, string indexDir)
    {
        var (mode, words, stride) = PassageFlags(parse);
        if (mode is null && words is null && stride is null) return null;
        if (manifest.Embeddings is not { } e) return ParseEmbedPassages(parse); // refused as settings for an index without vectors
        var recorded = e.PassageOptions;
        var recordedMode = recorded.Mode == PassageMode.First ? "first" : "max";
        var differences = new List<string>();
        // A window or stride alone implies max (the default mode).
        var given = mode ?? "max";
        if (given != recordedMode) differences.Add($"--embed-passages {given}{(mode is null ? " (implied by the window)" : "")} vs {recordedMode}");
        if (recorded.Mode != PassageMode.First)
        {
            if (words is { } w && w != recorded.Words) differences.Add($"--embed-passage-words {w} vs {recorded.Words}");
            if (stride is { } st && st != recorded.Stride) differences.Add($"--embed-passage-stride {st} vs {recorded.Stride}");
        }
        if (differences.Count > 0)
            throw new InvalidInputException(
                $"Cannot update index '{indexDir}' with other passage settings than it was built with: {string.Join(", ", differences)} (given vs recorded; "
                + $"the index embeds {(recorded.Mode == PassageMode.First ? "each document once, first passage" : recorded.ToString())}). "
                + "An update always uses the recorded settings: drop those options, or rebuild the index with them (`search-host index ... --overwrite`).",
                Path.Combine(indexDir, IndexManifest.FileName));
        return recorded;
    }

    /// <summary><c>index --update</c>: adds or replaces the corpus's documents with the index's recorded settings.</summary>
    private static int RunUpdate(ParseResult parse, ConsoleOutput console, ILogger log, string corpusPath, string indexDir, CancellationToken ct)
    {
        if (parse.GetValue(Overwrite))
            throw new InvalidInputException("--update changes an existing index and --overwrite replaces it with a new build; use one of them.");
        var manifest = IndexManifest.Read(indexDir);
        var docs = OpenCorpus(corpusPath, parse, console, manifest.KeepFields);
        bool Given(Option option) => parse.GetResult(option) is { Implicit: false };
        RequireNoEmbedderSettings(parse, manifest.Embeddings is null ? $"index '{indexDir}' has no document vectors (built with --embedder none), so an update embeds nothing" : null);
        // Added documents are embedded at the index's precision unless one is asked for (then it must match).
        var encoderOptions = manifest.Embeddings?.ForQueries(EncoderOptions(parse)) ?? EncoderOptions(parse);
        if (manifest.Embeddings is { } recorded && encoderOptions.Precision != recorded.RecordedPrecision)
        {
            var asked = InferenceEngineSelection.Name(encoderOptions.Precision);
            throw new InvalidInputException(
                $"Index '{indexDir}' holds {InferenceEngineSelection.Name(recorded.RecordedPrecision)} vectors, and an update embeds its documents at the index's recorded precision "
                + $"(int8 and fp32 vectors are not mixed): omit --precision, or rebuild the index at {asked} with `search-host index --corpus ... --index {indexDir} --overwrite --precision {asked}`.",
                Path.Combine(indexDir, IndexManifest.FileName));
        }
        if (manifest.Embeddings is { } vectors) Rerank.Lucene.Retrieval.FirstStages.RequireRunnable(vectors, encoderOptions, indexDir, "documents");
        // Refused before a model is loaded for nothing.
        if (manifest.Embeddings is null && Given(Embedder) && parse.GetValue(Embedder)?.Trim() != "none") throw IndexUpdater.NoVectors(indexDir);
        if (manifest.Embeddings is { } keeps && Given(Embedder) && parse.GetValue(Embedder)?.Trim() == "none")
            throw new InvalidInputException(
                $"Index '{indexDir}' keeps document vectors ({keeps.Model}), so added and replaced documents must be embedded, and --embedder none embeds nothing. "
                + "Omit --embedder to use the one the index records, or rebuild the index BM25-only with `search-host index ... --embedder none --overwrite`.",
                Path.Combine(indexDir, IndexManifest.FileName));
        // The embedder the index records unless one is named; a named one must be that model (the library checks).
        using var embedder = Given(Embedder) ? OpenEmbedder(parse.GetValue(Embedder), encoderOptions)
            : manifest.Embeddings is not { } info ? null
            : info.Source == BiEncoder.BundledSource ? BiEncoder.LoadBundled(encoderOptions)
            : Directory.Exists(info.Source) ? BiEncoder.Load(info.Source, encoderOptions)
            : throw new InvalidInputException(
                $"Index '{indexDir}' was embedded with '{info.Source}', which no longer exists. Pass --embedder DIR with that same model.", indexDir);
        var options = new IndexUpdateOptions(
            Source: Path.GetFullPath(corpusPath),
            Embedder: embedder,
            K1: Given(K1) ? parse.GetValue(K1) : null,
            B: Given(B) ? parse.GetValue(B) : null,
            FieldsMode: Given(Fields) ? ParseFields(parse.GetValue(Fields)) : null,
            KeepFields: ParseKeepFields(parse),
            EmbedPassages: UpdatePassages(parse, manifest, indexDir));
        log.LogInformation("Updating {Index} from {Corpus} (generation {Generation}, {Count} documents)", indexDir, corpusPath, manifest.Generation, manifest.DocumentCount);
        IndexUpdateResult result;
        try
        {
            result = ProgressDisplay.Run(console, "Updating", (IProgress<IndexingProgress> progress) =>
                IndexUpdater.AddOrReplace(indexDir, docs, options, progress, ct));
        }
        catch (OperationCanceledException cancelled) when (ct.IsCancellationRequested)
        {
            throw new CancelledException(
                $"the index '{indexDir}' is untouched (generation {manifest.Generation}, {manifest.DocumentCount} documents) and searches as before; the partial update was removed.",
                cancelled, ct);
        }
        if (!result.Committed)
        {
            // An update without documents changes nothing: no new generation is committed.
            console.Error.WriteLine($"warning: {corpusPath} has no documents (it is empty or has only blank lines).");
            console.Output.WriteLine(
                $"Nothing to update in {indexDir}; it is unchanged: {Words.Count(result.Manifest.DocumentCount, "document")} (generation {result.Manifest.Generation}).");
            return 0;
        }
        console.Output.WriteLine(
            $"Updated {indexDir}: {result.Added} added, {result.Replaced} replaced; now {Words.Count(result.Manifest.DocumentCount, "document")} (generation {result.Manifest.Generation}).");
        ReportLeftOut(console, docs);
        if (embedder is not null && result.Manifest.Embeddings is { Embedded: > 0 } e)
        {
            console.Output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Embedded {Words.Count(e.Embedded.Value, "document")}{AsPassages(e, result.EmbeddedVectors)} with {e.Model} ({e.Dimension} dims, {e.Pooling} pooling, max {e.MaxLength} tokens) in {e.Seconds:F1} s ({e.DocumentsPerSecond:F1} docs/s)."));
            console.Output.WriteLine($"Embedder engine: {embedder.EngineDescription}.");
        }
        return 0;
    }

    /// <summary>Says which field values were not kept because they are not a string, number, boolean or array of those.</summary>
    private static void ReportLeftOut(ConsoleOutput console, IEnumerable<CorpusDocument> docs)
    {
        if (docs is CorpusReader.CorpusSequence { LeftOut.IsEmpty: false } read)
            console.Output.WriteLine($"Not kept (not a string, number, boolean or array of those): {read.LeftOut.Describe()}.");
    }

    /// <summary>
    /// Refuses --engine, --precision, --device, --threads and the passage options when nothing is embedded (<paramref name="why"/>, null when something is):
    /// a setting is never ignored.
    /// </summary>
    private static void RequireNoEmbedderSettings(ParseResult parse, string? why)
    {
        if (why is null) return;
        var given = new Option[] { Engine, Precision, Device, Threads, EmbedPassages, EmbedPassageWords, EmbedPassageStride }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        if (given.Count > 0)
            throw new InvalidInputException($"{string.Join(" and ", given)} {(given.Count == 1 ? "sets" : "set")} the embedder, and {why}: drop {string.Join(" and ", given)}.");
    }

    /// <summary>--threads, --engine, --precision and --device as embedder options (the library checks the device).</summary>
    private static BiEncoderOptions EncoderOptions(ParseResult parse)
    {
        var options = ParsedEncoderOptions(parse);
        // The library's message for this pair offers bf16, which the embedder does not take.
        if (options.Engine == InferenceEngine.TorchSharp && options.Precision == Rerank.Lucene.Reranking.Precision.Int8)
            throw new InvalidInputException("--precision int8 embeds on ONNX Runtime only (on the CPU): drop --engine torchsharp, or embed in fp32 (--precision fp32).");
        return options;
    }

    private static BiEncoderOptions ParsedEncoderOptions(ParseResult parse) => new()
    {
        Threads = parse.GetValue(Threads),
        Device = parse.GetValue(Device) ?? "auto",
        Engine = parse.GetValue(Engine) switch
        {
            null or "auto" => InferenceEngine.Auto,
            "onnxruntime" => InferenceEngine.OnnxRuntime,
            "torchsharp" => InferenceEngine.TorchSharp,
            var other => throw new System.Diagnostics.UnreachableException($"--engine '{other}' passed the check while parsing."),
        },
        Precision = parse.GetValue(Precision) switch
        {
            null or "auto" => Rerank.Lucene.Reranking.Precision.Auto,
            "fp32" => Rerank.Lucene.Reranking.Precision.Fp32,
            "int8" => Rerank.Lucene.Reranking.Precision.Int8,
            "bf16" => throw new InvalidInputException("--precision bf16 is not offered for the embedder; use fp32 (the default) or int8."),
            var other => throw new System.Diagnostics.UnreachableException($"--precision '{other}' passed the check while parsing."),
        },
    };

    private static BiEncoder? OpenEmbedder(string? value, BiEncoderOptions options) => value?.Trim() switch
    {
        null or "bundled" => BiEncoder.LoadBundled(options),
        "none" => null,
        var folder => BiEncoder.Load(folder, options),
    };

    /// <summary>--keep-fields: null when not given (all), empty for none, else the names.</summary>
    private static IReadOnlyList<string>? ParseKeepFields(ParseResult parse) => parse.GetValue(KeepFields)?.Trim() switch
    {
        null => null,
        "none" => (IReadOnlyList<string>)[],
        var list => list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } names ? names
            : throw new InvalidInputException("--keep-fields needs field names separated by commas (e.g. lang,year), or none."),
    };

    /// <summary>The corpus's documents; <paramref name="recordedKeep"/> (an update's recorded selection) applies when --keep-fields is not given.</summary>
    private static IEnumerable<CorpusDocument> OpenCorpus(string path, ParseResult parse, ConsoleOutput console, IReadOnlyList<string>? recordedKeep = null)
    {
        var format = parse.GetValue(Format)?.ToLowerInvariant() ?? (Directory.Exists(path) ? "text" : "beir");
        var fieldsGiven = parse.GetValue(IdField) is not null || parse.GetValue(TitleField) is not null || parse.GetValue(TextField) is not null;
        var skipInvalid = parse.GetValue(SkipInvalid);
        var given = ParseKeepFields(parse);
        if (given is not null && format == "text")
            throw new InvalidInputException("--keep-fields applies to JSONL corpora; a folder of .txt/.md files has no other fields. Drop --keep-fields.");
        var keep = given ?? (format == "text" ? null : recordedKeep);
        if (skipInvalid && format != "text")
        {
            throw new InvalidInputException("--skip-invalid applies to a folder of .txt/.md files. A JSONL corpus stops at its first bad line, " +
                "named with its line number: fix that line (--skip-empty leaves out documents with neither title nor text).");
        }
        switch (format)
        {
            case "text":
                if (!Directory.Exists(path))
                    throw new InvalidInputException($"--format text expects a folder of .txt/.md files, but '{path}' is not a folder. Pass the folder, or use --format beir|jsonl for a file.", path);
                // Every file is checked before anything is written, so one run names every file that cannot be indexed.
                var problems = CorpusReader.CheckFolder(path);
                if (problems.Count > 0 && !skipInvalid)
                {
                    throw new InvalidInputException(
                        $"{problems.Count} file{(problems.Count == 1 ? "" : "s")} in '{path}' cannot be indexed:\n" +
                        string.Concat(problems.Select(p => $"  {p.Message}\n")) +
                        "Fix or remove them, or pass --skip-invalid to index the other files without them.", path);
                }
                foreach (var problem in problems) console.Error.WriteLine($"skipped: {problem.Message}");
                return CorpusReader.ReadFolder(path, skipInvalid);
            case "beir":
                if (fieldsGiven)
                    throw new InvalidInputException("--id-field/--title-field/--text-field apply to --format jsonl; BEIR corpora always use _id, title and text. Add --format jsonl.");
                return CorpusReader.ReadJsonl(path, new CorpusReaderOptions(SkipEmpty: parse.GetValue(SkipEmpty), KeepFields: keep));
            case "jsonl":
                return CorpusReader.ReadJsonl(path, new CorpusReaderOptions(
                    IdField: parse.GetValue(IdField) ?? "_id",
                    TitleField: parse.GetValue(TitleField) ?? "title",
                    TextField: parse.GetValue(TextField) ?? "text",
                    SkipEmpty: parse.GetValue(SkipEmpty),
                    KeepFields: keep));
            default:
                throw new InvalidInputException($"Unknown --format '{format}'. Use beir, jsonl or text.");
        }
    }

    private static FieldsMode ParseFields(string? value) => value?.ToLowerInvariant() switch
    {
        null or "flat" => FieldsMode.Flat,
        "multifield" => FieldsMode.Multifield,
        _ => throw new InvalidInputException($"Unknown --fields '{value}'. Use flat or multifield."),
    };
}
