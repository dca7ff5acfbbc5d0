using System.Globalization;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// The commands that run a cross-encoder (<c>eval --reranker</c>, <c>search --reranker</c>, <c>score</c>)
/// with the tiny seeded model folder. Torch collection: building the model draws from the global generator.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class RerankingCommandTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-rerank");
    private readonly string _model = TinyCrossEncoder.Create(seed: 5);

    public void Dispose()
    {
        _temp.Dispose();
        Directory.Delete(Path.GetDirectoryName(_model)!, recursive: true);
    }

    private static readonly (string Query, string Document)[] Pairs =
    [
        ("what do vaccines do?", "A vaccine trains the immune system to recognise a pathogen."),
        ("tides", "The moon pulls the oceans."),
        ("why is the sky blue?", "Rayleigh scattering: shorter wavelengths scatter more strongly."),
        ("bread", "Yeast ferments sugar; the gas makes dough rise."),
    ];

    private float[] IndependentScores()
    {
        using var encoder = CrossEncoder.Load(_model);
        return encoder.Predict(Pairs);
    }

    private static float[] ParseScores(CliResult result) =>
        result.OutputLines.Select(l => float.Parse(l, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public async Task Search_PassagesMax_ScoresEachDocumentAsItsBestWindowScoredAlone()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--reranker", _model, "--device", "cpu", "--candidates", "3", "--top", "3",
            "--score-mode", "replace", "--passages", "max", "--passage-words", "5", "--passage-stride", "3", "--json", "how do vaccines work");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        using var encoder = CrossEncoder.Load(_model);
        var corpus = File.ReadLines(Path.Combine(SampleCorpus.Folder, "corpus.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .ToDictionary(d => d.GetProperty("_id").GetString()!, d => (Title: d.GetProperty("title").GetString()!, Text: d.GetProperty("text").GetString()!));
        var hits = json.RootElement.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(3, hits.Count);
        foreach (var hit in hits)
        {
            // Windows of 5 words every 3 words, each with the title, built here by hand from the corpus file.
            var (title, text) = corpus[hit.GetProperty("id").GetString()!];
            var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var passages = new List<string>();
            for (var start = 0; ; start += 3)
            {
                var end = Math.Min(words.Length, start + 5);
                passages.Add((title + " " + string.Join(' ', words[start..end])).Trim());
                if (end == words.Length) break;
            }
            Assert.True(passages.Count > 1, "the sample documents are longer than 5 words");
            Assert.Equal(encoder.Predict("how do vaccines work", passages).Max(), hit.GetProperty("cross_encoder_score").GetSingle(), 1e-5f);
        }
    }

    [Theory]
    [InlineData("--passage-words", "add --passages max (or sum)")]
    [InlineData("--passage-stride", "add --passages max (or sum)")]
    public async Task Search_PassageWindowWithoutPassagesMode_ExitsTwoInsteadOfIgnoringIt(string option, string expected)
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--reranker", _model, "--device", "cpu", option, "10", "vaccines");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public async Task Eval_Reranker_AddsRerankedMetricsOfTheRerankedRun()
    {
        var run = _temp.Combine("bm25.run");
        var reranked = _temp.Combine("rerank.run");

        var result = await CliInvocation.SearchHost("eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels,
            "--json", "--run", run, "--reranker", _model, "--candidates", "10", "--max-length", "48", "--reranked-run", reranked);

        Assert.True(result.ExitCode == 0, result.ToString());
        var (queries, rankings) = RunFiles.ParseEvalJson(result.Output, "bm25", "reranked");
        Assert.Equal(SampleCorpus.JudgedQueryCount, queries);
        Assert.Equal(RunFiles.EvaluateFile(SampleCorpus.Qrels, run).Mean, rankings["bm25"]);
        Assert.Equal(RunFiles.EvaluateFile(SampleCorpus.Qrels, reranked).Mean, rankings["reranked"]);
        // The time of each ranking evaluated: the first stage's, and the whole reranked search's (a cost users compare).
        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        var times = json.RootElement.GetProperty("ms_per_query");
        Assert.Equal(["bm25", "reranked"], times.EnumerateObject().Select(p => p.Name));
        Assert.True(times.GetProperty("reranked").GetDouble() > 0, result.Output);

        // The reranked run reorders each query's BM25 top 10: same documents, cross-encoder scores (sigmoid) as scores.
        var bm25Lines = RunFiles.ReadAndCheck(run, "bm25");
        var rerankLines = RunFiles.ReadAndCheck(reranked, "rerank");
        Assert.Equal(bm25Lines.Select(l => l.QueryId).Distinct(), rerankLines.Select(l => l.QueryId).Distinct());
        foreach (var group in rerankLines.GroupBy(l => l.QueryId))
        {
            var top10 = bm25Lines.Where(l => l.QueryId == group.Key).Take(10).Select(l => l.DocId).Order(StringComparer.Ordinal);
            Assert.Equal(top10, group.Select(l => l.DocId).Order(StringComparer.Ordinal));
            Assert.All(group, l => Assert.InRange(l.Score, 0.0, 1.0));
        }
    }

    [Fact]
    public async Task Search_Reranker_PrintsRerankedHitsWithBothScores()
    {
        var result = await CliInvocation.SearchHost("search", "--index", sample.Index, "--reranker", _model, "--candidates", "8", "--top", "5", "--json",
            SearchCommandTests.BroadQuery);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(Assert.Single(result.OutputLines));
        var hits = json.RootElement.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(5, hits.Count);
        Assert.Equal("bm25", json.RootElement.GetProperty("retrieval").GetString()); // the sample index has no vectors
        // The default on the CPU: ONNX Runtime, at the precision InferenceEngineSelection documents for this CPU.
        Assert.Equal("onnxruntime", json.RootElement.GetProperty("engine").GetString());
        var expectedPrecision = InferenceEngineSelection.CpuHasInt8DotProduct ? InferenceEngineSelection.AutoCpuPrecision : Precision.Fp32;
        Assert.Equal(InferenceEngineSelection.Name(expectedPrecision), json.RootElement.GetProperty("precision").GetString());
        Assert.Equal(["rank", "id", "score", "first_stage_rank", "first_stage_score", "cross_encoder_score", "title", "snippet"],
            hits[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal([1, 2, 3, 4, 5], hits.Select(h => h.GetProperty("rank").GetInt32()));
        // Score mode replace: the score is the cross-encoder's; BM25 ranks come from the 8 candidates.
        Assert.All(hits, h => Assert.Equal((float)h.GetProperty("cross_encoder_score").GetDouble(), (float)h.GetProperty("score").GetDouble()));
        Assert.All(hits, h => Assert.InRange(h.GetProperty("first_stage_rank").GetInt32(), 1, 8));
        var scores = hits.Select(h => h.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderByDescending(s => s), scores);

        // The cross-encoder score of each hit is the model's score for (query, title + text).
        using var searcher = Rerank.Lucene.Retrieval.Bm25Searcher.Open(sample.Index);
        using var encoder = CrossEncoder.Load(_model);
        foreach (var h in hits)
        {
            var doc = searcher.GetDocument(h.GetProperty("id").GetString()!)!;
            var expected = encoder.Predict(SearchCommandTests.BroadQuery, [DocumentText.Join(doc.Title, doc.Text)])[0];
            Assert.Equal(expected, (float)h.GetProperty("cross_encoder_score").GetDouble(), 5);
        }
    }

    [Fact]
    public async Task Score_TsvPairs_PrintsModelScoresInInputOrder()
    {
        // A blank line and CRLF line ends are allowed; fields are trimmed.
        var pairs = _temp.WriteFile("pairs.tsv",
            $"{Pairs[0].Query}\t{Pairs[0].Document}\r",
            "",
            $"  {Pairs[1].Query}\t {Pairs[1].Document}",
            $"{Pairs[2].Query}\t{Pairs[2].Document}",
            $"{Pairs[3].Query}\t{Pairs[3].Document}");

        var result = await CliInvocation.SearchHost("score", "--reranker", _model, "--pairs", pairs);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(IndependentScores(), ParseScores(result));
        // Standard error holds only which engine scored them (the scores stay alone on standard output).
        Assert.StartsWith("Reranker engine: onnxruntime fp32 on cpu (auto: ", result.Error);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("score")]
    [InlineData("batch")]
    [InlineData("eval")]
    public async Task RerankingCommands_SayWhichEngineAndPrecisionTheRerankerRuns(string command)
    {
        var pairs = _temp.WriteFile($"{command}-pairs.tsv", Pairs.Select(p => $"{p.Query}\t{p.Document}").ToArray());
        string[] args = command switch
        {
            "score" => ["score", "--pairs", pairs],
            "batch" => ["batch", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--run", _temp.Combine("engine.run")],
            _ => ["eval", "--index", sample.Index, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels],
        };

        var result = await CliInvocation.SearchHost([.. args, "--reranker", _model, "--precision", "int8"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Reranker engine: onnxruntime int8 on cpu (requested).\n", result.Error);
    }

    [Fact]
    public async Task Score_JsonlPairs_PrintsModelScoresInInputOrder()
    {
        var pairs = _temp.WriteFile("pairs.jsonl", Pairs.Select(p =>
            System.Text.Json.JsonSerializer.Serialize(new { query = p.Query, document = p.Document })).ToArray());

        var result = await CliInvocation.SearchHost("score", "--reranker", _model, "--pairs", pairs, "--batch-size", "3");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(IndependentScores(), ParseScores(result));
    }

    [Fact]
    public async Task Score_EmptyQueryOrDocument_ScoredBothAsCrossEncoderPredictDoes()
    {
        (string Query, string Document)[] pairs = [("", "The moon pulls the oceans."), ("tides", ""), ("", "")];
        var tsv = _temp.WriteFile("empty.tsv", "\tThe moon pulls the oceans.", "tides\t");
        var jsonl = _temp.WriteFile("empty.jsonl", """{"query": "", "document": ""}""");

        var fromTsv = await CliInvocation.SearchHost("score", "--reranker", _model, "--pairs", tsv);
        var fromJsonl = await CliInvocation.SearchHost("score", "--reranker", _model, "--pairs", jsonl);

        Assert.True(fromTsv.ExitCode == 0, fromTsv.ToString());
        Assert.True(fromJsonl.ExitCode == 0, fromJsonl.ToString());
        using var encoder = CrossEncoder.Load(_model);
        Assert.Equal(encoder.Predict(pairs), ParseScores(fromTsv).Concat(ParseScores(fromJsonl)).ToArray());
        Assert.All(encoder.Predict(pairs), s => Assert.True(float.IsFinite(s)));
    }

    [Fact]
    public async Task Score_InvalidUtf8_ExitsTwoNamingFileLineAndByte()
    {
        var pairs = _temp.Combine("latin1.tsv");
        File.WriteAllBytes(pairs, [.. "tides\tThe moon pulls the oceans.\ncaf"u8, 0xE9, .. "\tbread\n"u8]);

        var result = await CliInvocation.SearchHost("score", "--reranker", _model, "--pairs", pairs);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: Pairs file '{pairs}', line 2: expected UTF-8 text, found the byte 0xE9 at byte 4 of the line, which is not valid UTF-8. Re-save the file as UTF-8.\n", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Score_TsvLineWithoutTab_ExitsTwoNamingFileAndLine()
    {
        var pairs = _temp.WriteFile("pairs.tsv", "tides\tThe moon pulls the oceans.", "bread and yeast");

        var result = await CliInvocation.SearchHost("score", "--reranker", _model, "--pairs", pairs);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {pairs} line 2: expected query<TAB>document, found no tab. Separate query and document with one tab, or use JSONL.\n", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Score_JsonlLineWithoutDocument_ExitsTwoNamingFileAndLine()
    {
        var pairs = _temp.WriteFile("pairs.jsonl", """{"query": "tides", "document": "The moon pulls the oceans."}""", "", """{"query": "bread"}""");

        var result = await CliInvocation.SearchHost("score", "--reranker", _model, "--pairs", pairs);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {pairs} line 3: expected an object with string fields \"query\" and \"document\". Fix that line.\n", result.Error);
    }

    [Fact]
    public async Task Score_NoModel_ExitsTwoWithMessage()
    {
        var pairs = _temp.WriteFile("pairs.tsv", "tides\tThe moon pulls the oceans.");

        var result = await CliInvocation.SearchHost("score", "--pairs", pairs);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: No model given. Pass --reranker DIR (a cross-encoder folder, e.g. written by rerank-train).\n", result.Error);
    }

    [Fact]
    public async Task Score_MissingModelFolder_ExitsTwoWithMessage()
    {
        var pairs = _temp.WriteFile("pairs.tsv", "tides\tThe moon pulls the oceans.");
        var missing = _temp.Combine("no-model");

        var result = await CliInvocation.SearchHost("score", "--reranker", missing, "--pairs", pairs);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: Model folder '{missing}' does not exist. Pass a Hugging Face cross-encoder folder: config.json, the weights (model.safetensors, sharded safetensors or pytorch_model.bin) and the tokenizer (vocab.txt or tokenizer.json), e.g. one downloaded from the Hub or written by rerank-train.\n", result.Error);
    }
    [Theory]
    [InlineData("score")]
    [InlineData("search")]
    public async Task Help_MaxLength_StatesTheModelMaxLengthRule(string command)
    {
        var result = await CliInvocation.SearchHost(command, "--help");

        Assert.Equal(0, result.ExitCode);
        var text = System.Text.RegularExpressions.Regex.Replace(result.Output, @"\s+", " "); // help wraps long descriptions
        Assert.Contains("else model_max_length of its tokenizer_config.json, capped at the model's positions", text);
        Assert.DoesNotContain("min(512", text);
    }
}
