namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// Bad flag values on every command of both programs: refused while parsing, before a host starts or a file
/// is read, in one line naming the flag, the rule and the value; exit 2, no stack trace, nothing written.
/// </summary>
public sealed class OptionValueTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-values");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("--top", "0", "--top must be between 1 and 10000, found 0.")]
    [InlineData("--top", "99999999999", "--top must be between 1 and 10000, found 99999999999.")] // too large for an int: still the option's range
    [InlineData("--candidates", "-99999999999", "--candidates must be between 1 and 10000, found -99999999999.")]
    [InlineData("--device", "gpu", "--device must be auto, cpu, cuda or cuda:N, found 'gpu'.")]
    [InlineData("--score-mode", "mix", "--score-mode must be replace or interpolate, found 'mix'.")]
    [InlineData("--candidates", "0", "--candidates must be between 1 and 10000, found 0.")]
    [InlineData("--batch-size", "0", "--batch-size must be between 1 and 4096, found 0.")]
    [InlineData("--max-length", "2", "--max-length must be between 4 and 8192, found 2.")]
    [InlineData("--precision", "fp16", "--precision must be auto, fp32, bf16 or int8, found 'fp16'.")]
    [InlineData("--engine", "tensorrt", "--engine must be auto, onnxruntime or torchsharp, found 'tensorrt'.")]
    [InlineData("--precision", "", "--precision must be auto, fp32, bf16 or int8, found ''.")] // an unset shell variable: not the default
    [InlineData("--engine", "", "--engine must be auto, onnxruntime or torchsharp, found ''.")]
    [InlineData("--device", "", "--device must be auto, cpu, cuda or cuda:N, found ''.")]
    [InlineData("--passages", "", "--passages must be first, max or sum, found ''.")]
    [InlineData("--threads", "0", "--threads must be between 1 and 1024, found 0.")]
    [InlineData("--interpolation-weight", "1.5", "--interpolation-weight must be between 0 and 1, found 1.5.")]
    public async Task Search_BadFlagValue_ExitsTwoWithOneLine(string flag, string value, string message)
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, flag, value, "tides");

        UnknownOptionTests.AssertBadInput(result, $"error: {message} (see --help)");
    }

    [Theory]
    [InlineData("batch", "--engine", "torchsharp", "--engine sets how the reranker runs, and no reranker runs here (no --reranker given; this command ranks with BM25): drop it, or pass --reranker DIR.")]
    [InlineData("batch", "--candidates", "5", "--candidates sets how the reranker scores, and no reranker runs here (no --reranker given): drop it, or pass --reranker DIR.")]
    [InlineData("search", "--score-mode", "replace", "--score-mode sets how the reranker scores, and no reranker runs here (--no-rerank): drop it, or pass --reranker DIR.")]
    [InlineData("search", "--engine", "torchsharp", "--engine sets how the reranker runs, and no reranker runs here (--no-rerank; this search ranks with BM25): drop it, or pass --reranker DIR.")]
    [InlineData("search", "--precision", "int8", "--precision sets how the reranker runs, and no reranker runs here (--no-rerank; this search ranks with BM25): drop it, or pass --reranker DIR.")]
    [InlineData("eval", "--candidates", "50", "--candidates sets how the reranker scores, and no reranker runs here (no --reranker given): drop it, or pass --reranker DIR.")]
    public async Task RerankingFlag_WhereNothingItSetsRuns_IsRefusedNotIgnored(string command, string flag, string value, string message)
    {
        using var temp = new TempFolder("flags-apply");
        var run = temp.Combine("out.run");
        var result = command switch
        {
            "batch" => await CliInvocation.SearchHost("batch", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--run", run, flag, value),
            "eval" => await CliInvocation.SearchHost("eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--run", run, flag, value),
            _ => await CliInvocation.SearchHost("search", "--index", sample.Index, "--no-rerank", "--retrieval", "bm25", flag, value, "tides"),
        };

        UnknownOptionTests.AssertBadInput(result, $"error: {message}");
        Assert.False(File.Exists(run));
    }

    /// <summary>
    /// Without a reranker, a dense or hybrid search still takes --device (the query embedder runs there) but refuses --precision:
    /// the query embedder embeds at the precision the index's vectors were made at, so the flag would change nothing.
    /// </summary>
    [Fact]
    public async Task HybridSearchWithoutReranker_TakesDevice_RefusesPrecision()
    {
        var index = _temp.Combine("vectors");
        var built = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(built.ExitCode == 0, built.ToString());

        var onCpu = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--device", "cpu", "tides");
        var precision = await CliInvocation.SearchHost("search", "--index", index, "--no-rerank", "--precision", "int8", "tides");

        Assert.True(onCpu.ExitCode == 0, onCpu.ToString());
        Assert.Contains("Retrieval: hybrid", onCpu.Error);
        UnknownOptionTests.AssertBadInput(precision, "error: --precision sets how the reranker runs, and no reranker runs here (--no-rerank; the query embedder "
            + "embeds at the precision the index's vectors were made at): drop it, or pass --reranker DIR.");
    }

    /// <summary>demo and serve refuse reranking flags with --no-rerank as search does (demo before it indexes anything).</summary>
    [Fact]
    public async Task DemoAndServe_RerankerFlagsWithNoRerank_AreRefusedNotIgnored()
    {
        var demoIndex = _temp.Combine("demo-idx");
        var demo = await CliInvocation.SearchHost("demo", "--corpus", SampleCorpus.Folder, "--index", demoIndex, "--no-rerank", "--precision", "int8", "--queries", "1");
        var serve = await CliInvocation.SearchHost("serve", "--index", sample.Index, "--no-rerank", "--engine", "torchsharp", "--urls", "http://127.0.0.1:0");

        UnknownOptionTests.AssertBadInput(demo, "error: --precision sets how the reranker runs, and no reranker runs here (--no-rerank; the query embedder "
            + "embeds at the precision the index's vectors were made at): drop it, or pass --reranker DIR.");
        Assert.False(Directory.Exists(demoIndex));
        UnknownOptionTests.AssertBadInput(serve, "error: --engine sets how the reranker runs, and no reranker runs here (--no-rerank; this search ranks with BM25): "
            + "drop it, or pass --reranker DIR.");
    }

    [Fact]
    public async Task Search_TwoBadFlagValues_OneLineEach()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--top", "0", "--device", "gpu", "tides");

        UnknownOptionTests.AssertBadInput(result,
            "error: --top must be between 1 and 10000, found 0. (see --help)",
            "error: --device must be auto, cpu, cuda or cuda:N, found 'gpu'. (see --help)");
    }

    [Fact]
    public async Task Search_ValueNotANumber_ExitsTwoWithOneLine()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--top", "ten", "tides");

        UnknownOptionTests.AssertBadInput(result, "error: --top must be a whole number, found 'ten'. (see --help)");
    }

    /// <summary>index --threads: checked as the other count options are, named, without .NET type names.</summary>
    [Fact]
    public async Task Index_ThreadsZeroOrNotANumber_ExitsTwoNamingTheOption()
    {
        using var temp = new TempFolder("index-threads");
        var zero = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", temp.Combine("a"), "--threads", "0");
        var word = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", temp.Combine("b"), "--threads", "abc");
        var fraction = await CliInvocation.SearchHost("search", "--index", sample.Index, "--dense-weight", "half", "tides");

        UnknownOptionTests.AssertBadInput(zero, "error: --threads must be between 1 and 1024, found 0. (see --help)");
        UnknownOptionTests.AssertBadInput(word, "error: --threads must be a whole number, found 'abc'. (see --help)");
        UnknownOptionTests.AssertBadInput(fraction, "error: --dense-weight must be a number, found 'half'. (see --help)");
        Assert.False(Directory.Exists(temp.Combine("a")));
    }

    /// <summary>
    /// An empty --embedder (an unset shell variable: --embedder "$MODEL") is refused on every command that takes it, before anything is
    /// read or written; it had meant the bundled embedder on index (QA) and failed with .NET's "(Parameter 'path')" text elsewhere.
    /// </summary>
    [Theory]
    [InlineData("index", "")]
    [InlineData("index", " ")]
    [InlineData("update", "")]
    [InlineData("search", "")]
    [InlineData("search", "  ")]
    [InlineData("eval", "")]
    [InlineData("serve", "")]
    public async Task EmptyEmbedder_OnEveryCommandThatTakesIt_ExitsTwoNamingTheFlagAndTheFix(string command, string value)
    {
        using var temp = new TempFolder("empty-embedder");
        var output = temp.Combine("out");
        var result = command switch
        {
            "index" => await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", output, "--embedder", value),
            "update" => await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", output, "--update", "--embedder", value),
            "search" => await CliInvocation.SearchHost("search", "--index", sample.Index, "--no-rerank", "--embedder", value, "tides"),
            "eval" => await CliInvocation.SearchHost("eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
                "--no-rerank", "--run", output, "--embedder", value),
            _ => await CliInvocation.SearchHost("serve", "--index", sample.Index, "--no-rerank", "--urls", "http://127.0.0.1:0", "--embedder", value),
        };

        var fix = command is "index" or "update"
            ? "pass bundled, a sentence-transformers folder or none (BM25 only), or omit --embedder (a build then embeds with the bundled model, an update with the index's own)."
            : "pass bundled or the sentence-transformers folder the index was embedded with, or omit --embedder to use the model the index records.";
        UnknownOptionTests.AssertBadInput(result, $"error: --embedder is empty: {fix} (see --help)");
        Assert.False(Path.Exists(output));
    }

    [Fact]
    public async Task Eval_TopZero_ExitsTwoAndWritesNoRun()
    {
        var run = _temp.Combine("bm25.run");

        var result = await CliInvocation.SearchHost("eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--run", run, "--top", "0");

        UnknownOptionTests.AssertBadInput(result, "error: --top must be between 1 and 100000, found 0. (see --help)");
        Assert.False(File.Exists(run));
    }

    [Fact]
    public async Task Score_BadDevice_ExitsTwoBeforeReadingPairs()
    {
        var result = await CliInvocation.SearchHost("score", "--reranker", _temp.Combine("no-model"), "--pairs", _temp.Combine("no-pairs.tsv"), "--device", "gpu");

        UnknownOptionTests.AssertBadInput(result, "error: --device must be auto, cpu, cuda or cuda:N, found 'gpu'. (see --help)");
    }

    [Fact]
    public async Task Score_UnknownFormat_ExitsTwoBeforeLoadingTheModel()
    {
        var pairs = _temp.WriteFile("pairs.tsv", "tides\tThe moon pulls the oceans.");

        var result = await CliInvocation.SearchHost("score", "--reranker", _temp.Combine("no-model"), "--pairs", pairs, "--format", "csv");

        UnknownOptionTests.AssertBadInput(result, "error: Unknown --format 'csv'. Use text or jsonl.");
    }

    [Fact]
    public async Task Demo_ZeroQueries_ExitsTwoWithOneLine()
    {
        var result = await CliInvocation.SearchHost("demo", "--index", _temp.Combine("idx"), "--queries", "0");

        UnknownOptionTests.AssertBadInput(result, "error: --queries must be at least 1, found 0. (see --help)");
        Assert.False(Directory.Exists(_temp.Combine("idx")));
    }

    [Theory]
    [InlineData("--epochs", "0", "--epochs must be at least 1, found 0.")]
    [InlineData("--lr", "0", "--lr must be greater than 0, found 0.")]
    [InlineData("--device", "gpu", "--device must be auto, cpu or cuda, found 'gpu'.")]
    [InlineData("--loss", "hinge", "--loss must be bce, listwise or pairwise, found 'hinge'.")]
    [InlineData("--sampling", "best", "--sampling must be random or top, found 'best'.")]
    [InlineData("--pseudo-queries", "paragraphs", "--pseudo-queries must be sentences, titles or both, found 'paragraphs'.")]
    [InlineData("--warmup-ratio", "2", "--warmup-ratio must be between 0 and 1, found 2.")]
    [InlineData("--batch-size", "0", "--batch-size must be at least 1, found 0.")]
    [InlineData("--negatives", "-1", "--negatives must be at least 0, found -1.")]
    [InlineData("--weight-decay", "-0.1", "--weight-decay must be a number of at least 0, found -0.1.")]
    [InlineData("--max-length", "2", "--max-length must be at least 4, found 2.")]
    [InlineData("--patience", "0", "--patience must be at least 1, found 0.")]
    public async Task Train_BadFlagValue_ExitsTwoWithOneLineBeforeReadingAnything(string flag, string value, string message)
    {
        var output = _temp.Combine("model");

        var result = await CliInvocation.RerankTrain("--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--output", output, flag, value);

        UnknownOptionTests.AssertBadInput(result, $"error: {message} (see --help)");
        Assert.False(Directory.Exists(output));
        Assert.False(Directory.Exists(output + "-checkpoints"));
    }
}

/// <summary><c>rerank-train</c> flags that only together are wrong.</summary>
public sealed class TrainFlagCombinationTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-train-flags");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Train_EmptyMiningRange_ExitsTwoNamingBothFlagsBeforeReadingAnything()
    {
        var output = _temp.Combine("model");

        var result = await CliInvocation.RerankTrain("--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--output", output, "--range-min", "50", "--range-max", "20");

        UnknownOptionTests.AssertBadInput(result, "error: --range-max must be greater than --range-min, found --range-min 50 and --range-max 20: " +
            "negatives come from first-stage ranks [range-min, range-max). (see --help)");
        Assert.False(Directory.Exists(output));
    }
}

/// <summary>Bad settings from the environment (or appsettings.json): one line each, and no stack trace logged on standard error.</summary>
[Collection(ProcessStateCollection.Name)]
public sealed class SettingValueTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    [Fact]
    public async Task Search_BadSettingsFromEnvironment_OneLineEachAndNoStackTraceLogged()
    {
        using var top = new EnvironmentVariableScope("SEARCHRERANK_SearchHost__Top", "0");
        using var device = new EnvironmentVariableScope("SEARCHRERANK_SearchHost__Reranker__Device", "gpu");
        var logged = new StringWriter();
        var previous = Console.Error;
        Console.SetError(logged);
        CliResult result;
        try
        {
            result = await CliInvocation.SearchHost("search", "--index", sample.Index, "tides");
            await Task.Delay(300); // the console logger writes from its own thread
        }
        finally
        {
            Console.SetError(previous);
        }

        UnknownOptionTests.AssertBadInput(result,
            "error: invalid settings: The field SearchHost:Top must be between 1 and 10000 (found 0). " +
            "Check the flags, appsettings.json and SEARCHRERANK_* environment variables.",
            "error: invalid settings: SearchHost:Reranker:Device must be auto, cpu, cuda or cuda:N (found 'gpu'). " +
            "Check the flags, appsettings.json and SEARCHRERANK_* environment variables.");
        Assert.DoesNotContain("   at ", logged.ToString());
        Assert.DoesNotContain("Exception", logged.ToString());
    }

    /// <summary>
    /// A setting that does not convert to its type (serve with SearchHost:Reranker:PassageSelect=abc) is named with its key, the kind
    /// expected and the fix in one line, not the configuration binder's "Failed to convert ... to type 'System.Int32'" (QA).
    /// </summary>
    [Theory]
    [InlineData("SEARCHRERANK_SearchHost__Reranker__PassageSelect", "abc", "SearchHost:Reranker:PassageSelect must be a whole number, found 'abc'.")]
    [InlineData("SEARCHRERANK_SearchHost__Reranker__InterpolationWeight", "half", "SearchHost:Reranker:InterpolationWeight must be a number, found 'half'.")]
    [InlineData("SEARCHRERANK_SearchHost__Top", "99999999999", "SearchHost:Top must be a whole number, found '99999999999', which is too large.")]
    public async Task Serve_SettingOfTheWrongType_ExitsTwoNamingTheKeyAndTheKind(string variable, string value, string named)
    {
        using var child = ChildProcess.SearchHost(new Dictionary<string, string> { [variable] = value },
            "serve", "--index", sample.Index, "--no-rerank", "--urls", "http://127.0.0.1:0");
        child.Input.Close();

        var code = await child.WaitForExit(120);

        Assert.True(code == 2, child.ToString());
        var kind = named.Contains("a number", StringComparison.Ordinal) ? "a number" : "a whole number";
        Assert.Equal([$"error: invalid settings: {named} Set it to {kind} or remove it, in appsettings.json or the environment variable {variable}."],
            child.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", child.Output);
    }

    /// <summary>A reranker whose searchrerank.json holds a value of the wrong kind: exit 2, one line naming the file and key.</summary>
    [Fact]
    public async Task Search_RerankerSettingOfTheWrongKind_ExitsTwoNamingTheFileAndKey()
    {
        // The settings are read before the model loads: a folder holding only them is enough.
        using var temp = new TempFolder("reranker-settings-kind");
        var model = temp.Combine("model");
        Directory.CreateDirectory(model);
        var file = Path.Combine(model, Rerank.Lucene.Reranking.RerankerSettings.FileName);
        File.WriteAllText(file, "{\"passages\": {\"mode\": \"max\", \"select\": \"x\"}}");

        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--reranker", model, "tides");

        UnknownOptionTests.AssertBadInput(result,
            $"error: {file}: passages.select must be a whole number (windows scored per document), found the string \"x\". Fix or delete the file.");
    }

    [Theory]
    [InlineData("SEARCHRERANK_SearchHost__Topp", "3", "SearchHost:Topp is not a setting (environment variable SEARCHRERANK_SearchHost__Topp); the SearchHost settings are Index, Top, ")]
    [InlineData("SEARCHRERANK_SearchHost__Reranker__Path", "models/x", "SearchHost:Reranker:Path is not a setting (environment variable SEARCHRERANK_SearchHost__Reranker__Path); the SearchHost:Reranker settings are ")]
    [InlineData("SEARCHRERANK_SearchHost__Top", "abc", "SearchHost:Top must be a whole number, found 'abc'. Set it to a whole number or remove it, in appsettings.json or the environment variable SEARCHRERANK_SearchHost__Top.")]
    public async Task Search_MisspeltOrMistypedSetting_ExitsTwoNamingIt(string variable, string value, string named)
    {
        // A child process: the variable must not reach hosts that other tests start in this one.
        using var child = ChildProcess.SearchHost(new Dictionary<string, string> { [variable] = value }, "search", "--index", sample.Index, "tides");

        var code = await child.WaitForExit();

        Assert.True(code == 2, child.ToString());
        Assert.StartsWith("error: invalid settings: ", child.Error);
        Assert.Contains(named, child.Error);
        Assert.DoesNotContain("   at ", child.Error);
    }
}

/// <summary><c>rerank-train</c> on an unexpected failure: one line and exit 1, the stack trace only with --verbose, as search-host.</summary>
public sealed class TrainFailureTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-train-failure");

    public void Dispose() => _temp.Dispose();

    /// <summary>Mines from a copy of the sample index whose largest file was cut short: Lucene fails while reading it.</summary>
    private Task<CliResult> MineFromCorruptIndex(params string[] extra)
    {
        var index = _temp.Combine("corrupt-idx");
        Directory.CreateDirectory(index);
        foreach (var file in Directory.GetFiles(sample.Index)) File.Copy(file, Path.Combine(index, Path.GetFileName(file)));
        var largest = Directory.GetFiles(index).OrderByDescending(f => new FileInfo(f).Length).First();
        using (var stream = File.OpenWrite(largest)) stream.SetLength(new FileInfo(largest).Length / 4);
        return CliInvocation.RerankTrain(["--index", index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--mine-only", "--write-mined", _temp.Combine("mined.jsonl"), .. extra]);
    }

    [Fact]
    public async Task Train_WriteMinedUnderAFile_IsBadInputInOneLine()
    {
        var file = _temp.WriteFile("a-file", "not a folder");

        var result = await CliInvocation.RerankTrain(["--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--mine-only", "--write-mined", Path.Combine(file, "mined.jsonl")]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: Cannot write '{Path.Combine(file, "mined.jsonl")}'", result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Train_UnexpectedFailure_OneLineWithoutStackTrace()
    {
        var result = await MineFromCorruptIndex();

        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.EndsWith(" (run again with --verbose for details)\n", result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Train_UnexpectedFailureWithVerbose_ShowsStackTrace()
    {
        var result = await MineFromCorruptIndex("--verbose");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("   at ", result.Error);
    }
}
