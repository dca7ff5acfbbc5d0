using Rerank.Lucene.Embedding;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;

namespace Rerank.Lucene.Tests.Cli;

/// <summary><c>search-host index</c>: corpus formats, overwrite rules and bad input, run in-process.</summary>
public sealed class IndexCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("cli-index");

    public void Dispose() => _temp.Dispose();

    private static string[] TopIds(string index, string query, int k = 10)
    {
        using var searcher = Bm25Searcher.Open(index);
        return searcher.Search(query, k).Select(h => h.DocId).ToArray();
    }

    [Fact]
    public async Task Index_SampleCorpus_IndexesAll41Documents()
    {
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(3, result.OutputLines.Length);
        // "fingerprint" shows the first 12 characters of "sha256:<hex>": the prefix and 5 hex digits.
        Assert.Matches($"^Indexed 41 documents into {System.Text.RegularExpressions.Regex.Escape(index)} \\(fields flat, k1 0\\.9, b 0\\.4, fingerprint sha256:[0-9a-f]{{5}}\\)\\.$", result.OutputLines[0]);
        // By default every document is embedded with the bundled MiniLM as 128-word passages (each sample document is one), and the rate is reported.
        Assert.Matches(@"^Embedded 41 documents as 41 passages \(max over 128-word passages, stride 64\) with all-MiniLM-L6-v2 \(bundled, SentenceTransformers\.MiniLM 24\.9\.52193\) \(384 dims, mean pooling, max 256 tokens\) in \d+\.\d s \(\d+\.\d docs/s\)\.$", result.OutputLines[1]);
        // On the CPU the embedder runs on ONNX Runtime fp32 by default, as the cross-encoder does, and says so.
        Assert.StartsWith("Embedder engine: onnxruntime fp32 on cpu (auto: ", result.OutputLines[2]);
        // Standard error holds at most progress lines (one every 5 s when redirected; embedding may take that long).
        Assert.All(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith("Indexing (", l));
        using var searcher = Bm25Searcher.Open(index);
        Assert.Equal(SampleCorpus.DocumentCount, searcher.DocumentCount);
        Assert.Equal(41, searcher.Manifest.Embeddings!.Count);
        Assert.Equal(41L * 384 * 4, new FileInfo(Path.Combine(index, "embeddings.f32")).Length);
    }

    /// <summary>
    /// The manifest records the embedder's engine and precision. fp32 vectors of either engine are interchangeable (TorchSharp-built
    /// vectors equal ONNX Runtime-built ones to cosine 0.99999 and are searched with ONNX Runtime queries); int8 is opt-in, and an
    /// int8 index is queried and updated at int8 by default, while an explicit fp32 update of it is refused.
    /// </summary>
    [Fact]
    public async Task Index_EngineAndPrecision_RecordedFp32EnginesInterchangeable_Int8NotMixed()
    {
        var byOrt = _temp.Combine("ort");
        var byTorch = _temp.Combine("torch");
        var byInt8 = _temp.Combine("int8");
        var more = IndexUpdateCommandTests.WriteMore(_temp.Combine("more.jsonl"));

        var ort = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", byOrt);
        var torch = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", byTorch, "--engine", "torchsharp");
        var int8 = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", byInt8, "--precision", "int8");
        var denseOnTorch = await CliInvocation.SearchHost("search", "--index", byTorch, "--retrieval", "dense", "--no-rerank", "vaccines and the immune system");
        var denseOnInt8 = await CliInvocation.SearchHost("search", "--index", byInt8, "--retrieval", "dense", "--no-rerank", "vaccines and the immune system");
        var fp32Update = await CliInvocation.SearchHost("index", "--corpus", more, "--index", byInt8, "--update", "--precision", "fp32");
        var int8Update = await CliInvocation.SearchHost("index", "--corpus", more, "--index", byInt8, "--update");
        var badPrecision = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", _temp.Combine("never"), "--precision", "fp8");
        // int8 vectors with the TorchSharp engine at query time: the way out is the engine or an fp32 rebuild (at query time
        // --precision is the reranker's), refused before the (default) reranker loads.
        var torchOnInt8 = await CliInvocation.SearchHost("search", "--index", byInt8, "--engine", "torchsharp", "vaccines and the immune system");
        var int8UpdateOfFp32 = await CliInvocation.SearchHost("index", "--corpus", more, "--index", byOrt, "--update", "--precision", "int8");
        var searchJsonInt8 = await CliInvocation.SearchHost("search", "--index", byInt8, "--no-rerank", "--json", "vaccines and the immune system");
        var searchJsonBm25 = await CliInvocation.SearchHost("search", "--index", byInt8, "--no-rerank", "--retrieval", "bm25", "--json", "vaccines");
        var evalJsonInt8 = await CliInvocation.SearchHost("eval", "--index", byInt8, "--queries", SampleCorpus.Queries, "--qrels", SampleCorpus.Qrels, "--no-rerank", "--json");
        var statsInt8 = await CliInvocation.SearchHost("stats", "--index", byInt8);

        foreach (var r in new[] { ort, torch, int8, denseOnTorch, denseOnInt8, int8Update, searchJsonInt8, searchJsonBm25, evalJsonInt8, statsInt8 })
            Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("Embedder engine: torchsharp fp32 on cpu (auto: fp32 (TorchSharp requested)).", torch.OutputLines[2]);
        Assert.Equal("Embedder engine: onnxruntime int8 on cpu (requested).", int8.OutputLines[2]);
        EmbeddingInfo Info(string index)
        {
            using var searcher = Bm25Searcher.Open(index);
            return searcher.Manifest.Embeddings!;
        }
        Assert.Equal(("onnxruntime", "fp32"), (Info(byOrt).Engine, Info(byOrt).Precision));
        Assert.Equal(("onnxruntime", "int8"), (Info(byInt8).Engine, Info(byInt8).Precision));
        Assert.Equal(SampleCorpus.DocumentCount + 3, (int)Info(byInt8).Count);
        // An update reports and records its own embedding: 3 added + 1 replaced documents, at the index's precision.
        Assert.Contains(int8Update.OutputLines, l => l.StartsWith("Embedded 4 documents as 4 passages (max over 128-word passages, stride 64) with all-MiniLM-L6-v2", StringComparison.Ordinal) && l.Contains("(384 dims, mean pooling, max 256 tokens) in ", StringComparison.Ordinal) && l.EndsWith(" docs/s).", StringComparison.Ordinal));
        // The precision came from the index, not from the command line: the line says so instead of "requested".
        Assert.Contains("Embedder engine: onnxruntime int8 on cpu (the index's int8 vectors; engine auto).", int8Update.OutputLines);
        Assert.Equal(4L, Info(byInt8).Embedded);
        Assert.Equal(SampleCorpus.DocumentCount, Info(byOrt).Embedded);
        // The manifest records the precision once, as a name; engines joined by an update are written as plain text.
        var int8Manifest = File.ReadAllText(Path.Combine(byInt8, IndexManifest.FileName));
        Assert.DoesNotContain("recordedPrecision", int8Manifest);
        Assert.DoesNotContain("documentsPerSecond", int8Manifest);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(int8Manifest, "\"precision\": \"int8\""));
        // JSON answers name the query embedder beside the reranker's keys; BM25 embeds nothing and has none.
        Assert.Equal("""{"engine":"onnxruntime","precision":"int8"}""", System.Text.Json.Nodes.JsonNode.Parse(searchJsonInt8.Output)!["embedder"]!.ToJsonString());
        Assert.False(System.Text.Json.Nodes.JsonNode.Parse(searchJsonBm25.Output)!.AsObject().ContainsKey("embedder"));
        Assert.Equal("""{"engine":"onnxruntime","precision":"int8"}""", System.Text.Json.Nodes.JsonNode.Parse(evalJsonInt8.Output)!["embedder"]!.ToJsonString());
        Assert.Contains(statsInt8.OutputLines, l => l.StartsWith($"vectors:     {SampleCorpus.DocumentCount + 3} x 384 (all-MiniLM-L6-v2", StringComparison.Ordinal)
            && l.EndsWith("mean pooling, max 256 tokens; onnxruntime int8)", StringComparison.Ordinal));

        // The same documents' vectors from the two fp32 engines, row by row.
        var a = ReadVectors(byOrt);
        var b = ReadVectors(byTorch);
        Assert.Equal(a.Length, b.Length);
        for (var row = 0; row < a.Length / 384; row++)
        {
            double dot = 0;
            for (var d = 0; d < 384; d++) dot += (double)a[row * 384 + d] * b[row * 384 + d];
            Assert.True(dot >= 0.99999, $"document {row}: cosine {dot:F9} between ONNX Runtime and TorchSharp fp32 vectors");
        }
        Assert.Equal(("torchsharp", "fp32"), (Info(byTorch).Engine, Info(byTorch).Precision));
        // Built by TorchSharp, then updated by ONNX Runtime (the default engine): both recorded, written as plain text.
        var ortUpdateOfTorch = await CliInvocation.SearchHost("index", "--corpus", more, "--index", byTorch, "--update");
        Assert.True(ortUpdateOfTorch.ExitCode == 0, ortUpdateOfTorch.ToString());
        Assert.Equal(("torchsharp+onnxruntime", "fp32"), (Info(byTorch).Engine, Info(byTorch).Precision));
        Assert.Contains("\"engine\": \"torchsharp+onnxruntime\"", File.ReadAllText(Path.Combine(byTorch, IndexManifest.FileName)));
        Assert.Contains("\"engine\": \"torchsharp+onnxruntime\"", File.ReadAllText(Path.Combine(byTorch, DocumentVectors.HeaderFile)));
        // Queries: ONNX Runtime fp32 on the TorchSharp-built index; int8 on the int8 index (its recorded precision).
        Assert.Contains("on onnxruntime fp32, exact inner product", denseOnTorch.Error);
        Assert.Contains("on onnxruntime int8, exact inner product", denseOnInt8.Error);
        Assert.Equal(2, fp32Update.ExitCode);
        Assert.Equal($"error: Index '{byInt8}' holds int8 vectors, and an update embeds its documents at the index's recorded precision (int8 and fp32 vectors are not mixed): "
            + $"omit --precision, or rebuild the index at fp32 with `search-host index --corpus ... --index {byInt8} --overwrite --precision fp32`.\n", fp32Update.Error);
        Assert.Equal(2, int8UpdateOfFp32.ExitCode);
        Assert.Equal($"error: Index '{byOrt}' holds fp32 vectors, and an update embeds its documents at the index's recorded precision (int8 and fp32 vectors are not mixed): "
            + $"omit --precision, or rebuild the index at int8 with `search-host index --corpus ... --index {byOrt} --overwrite --precision int8`.\n", int8UpdateOfFp32.Error);
        Assert.Equal(2, torchOnInt8.ExitCode);
        Assert.EndsWith($"error: Index '{byInt8}' holds int8 vectors, which only ONNX Runtime embeds queries for: drop --engine torchsharp, "
            + $"or rebuild the index at fp32 (`search-host index --corpus ... --index {byInt8} --overwrite --precision fp32`).\n", torchOnInt8.Error);
        Assert.DoesNotContain("Reranker engine", torchOnInt8.ToString());
        // An update of the int8 index on TorchSharp: the same rule, worded for the documents it would embed.
        var torchUpdateOfInt8 = await CliInvocation.SearchHost("index", "--corpus", more, "--index", byInt8, "--update", "--engine", "torchsharp");
        Assert.Equal(2, torchUpdateOfInt8.ExitCode);
        Assert.Equal($"error: Index '{byInt8}' holds int8 vectors, which only ONNX Runtime embeds documents for: drop --engine torchsharp, "
            + $"or rebuild the index at fp32 (`search-host index --corpus ... --index {byInt8} --overwrite --precision fp32`).\n", torchUpdateOfInt8.Error);
        Assert.Equal(2, badPrecision.ExitCode);
        Assert.Equal("error: --precision must be auto, fp32 or int8, found 'fp8'. (see --help)\n", badPrecision.Error);
        Assert.False(Directory.Exists(_temp.Combine("never")));

        // --embedder at query time: bundled is the bundled model (as index --help names it), none is refused with the way to BM25.
        var bundled = await CliInvocation.SearchHost("search", "--index", byOrt, "--embedder", "bundled", "--retrieval", "dense", "--no-rerank", "vaccines and the immune system");
        var recorded = await CliInvocation.SearchHost("search", "--index", byOrt, "--retrieval", "dense", "--no-rerank", "--json", "vaccines and the immune system");
        var bundledJson = await CliInvocation.SearchHost("search", "--index", byOrt, "--embedder", "bundled", "--retrieval", "dense", "--no-rerank", "--json", "vaccines and the immune system");
        var none = await CliInvocation.SearchHost("search", "--index", byOrt, "--embedder", "none", "--no-rerank", "vaccines");
        Assert.True(bundled.ExitCode == 0, bundled.ToString());
        Assert.Equal(recorded.Output, bundledJson.Output);
        Assert.Equal((2, "error: --embedder none builds an index without vectors (search-host index); searching has no such setting: to search with BM25 alone use --retrieval bm25, "
            + "or omit --embedder to embed queries with the model the index records.\n"), (none.ExitCode, none.Error));

        // A hand-edited precision the library does not know is refused, naming the file and key (it was read as fp32).
        var manifestPath = Path.Combine(byInt8, IndexManifest.FileName);
        File.WriteAllText(manifestPath, int8Manifest.Replace("\"precision\": \"int8\"", "\"precision\": \"int4\"", StringComparison.Ordinal));
        var int4 = await CliInvocation.SearchHost("stats", "--index", byInt8);
        Assert.Equal(2, int4.ExitCode);
        Assert.Equal($"error: '{manifestPath}' records embeddings.precision \"int4\", which this version does not know; it writes \"fp32\" or \"int8\". "
            + $"Restore the value the index was built with, or rebuild the index with `search-host index --corpus ... --index {byInt8} --overwrite`.\n", int4.Error);
        // Likewise an engine name it does not know, also inside a '+' list.
        File.WriteAllText(manifestPath, int8Manifest.Replace("\"engine\": \"onnxruntime\"", "\"engine\": \"onnxruntime+tensorrt\"", StringComparison.Ordinal));
        var tensorrt = await CliInvocation.SearchHost("stats", "--index", byInt8);
        Assert.Equal((2, $"error: '{manifestPath}' records embeddings.engine \"onnxruntime+tensorrt\", which this version does not know; it writes \"torchsharp\", \"onnxruntime\" "
            + $"or both joined by '+'. Restore the value the index was built with, or rebuild the index with `search-host index --corpus ... --index {byInt8} --overwrite`.\n"),
            (tensorrt.ExitCode, tensorrt.Error));
    }

    /// <summary>--engine, --precision and --threads where nothing is embedded are refused (exit 2, one line), never ignored.</summary>
    [Fact]
    public async Task Index_EmbedderSettingsWithoutAnEmbedder_AreRefused()
    {
        var bm25Only = _temp.Combine("bm25-only");
        var more = IndexUpdateCommandTests.WriteMore(_temp.Combine("more.jsonl"));
        var noneTorch = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", bm25Only, "--embedder", "none", "--engine", "torchsharp");
        var noneInt8 = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", bm25Only, "--embedder", "none", "--precision", "int8", "--threads", "1");
        Assert.False(Directory.Exists(bm25Only));
        var built = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", bm25Only, "--embedder", "none");
        Assert.True(built.ExitCode == 0, built.ToString());
        var updateInt8 = await CliInvocation.SearchHost("index", "--corpus", more, "--index", bm25Only, "--update", "--precision", "int8");

        Assert.Equal((2, "error: --engine sets the embedder, and --embedder none builds no document vectors: drop --engine.\n"), (noneTorch.ExitCode, noneTorch.Error));
        Assert.Equal((2, "error: --precision and --threads set the embedder, and --embedder none builds no document vectors: drop --precision and --threads.\n"),
            (noneInt8.ExitCode, noneInt8.Error));
        Assert.Equal((2, $"error: --precision sets the embedder, and index '{bm25Only}' has no document vectors (built with --embedder none), so an update embeds nothing: drop --precision.\n"),
            (updateInt8.ExitCode, updateInt8.Error));
        using var searcher = Bm25Searcher.Open(bm25Only);
        Assert.Equal(SampleCorpus.DocumentCount, searcher.DocumentCount);
    }

    /// <summary>index takes --device as search does: cpu runs the embedder there, an unknown device or CUDA without it is one line, nothing written.</summary>
    [Fact]
    public async Task Index_Device_ChoosesWhereTheEmbedderRuns_BadValuesRefusedWithNothingWritten()
    {
        var onCpu = _temp.Combine("device-cpu");
        var gpu = _temp.Combine("device-gpu");
        var cuda = _temp.Combine("device-cuda");
        var none = _temp.Combine("device-none");

        var built = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", onCpu, "--device", "cpu");
        var unknown = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", gpu, "--device", "gpu");
        var noCuda = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", cuda, "--device", "cuda");
        var nothingEmbedded = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", none, "--embedder", "none", "--device", "cpu");
        var int8OnTorch = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", none, "--precision", "int8", "--engine", "torchsharp");
        // The same rules as search's settings: exact lower-case names, cuda:N with a number, checked while parsing.
        var upper = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", none, "--precision", "INT8");
        var cudaX = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", none, "--device", "cuda:x");

        Assert.True(built.ExitCode == 0, built.ToString());
        Assert.Contains("Embedder engine: onnxruntime fp32 on cpu (", built.Output);
        Assert.Equal((2, "error: --device must be auto, cpu, cuda or cuda:N, found 'gpu'. (see --help)\n"), (unknown.ExitCode, unknown.Error));
        Assert.Equal(2, noCuda.ExitCode); // this test build carries the CPU libtorch
        Assert.StartsWith("error: Device 'cuda' was requested but CUDA is not available", noCuda.Error);
        Assert.Equal((2, "error: --device sets the embedder, and --embedder none builds no document vectors: drop --device.\n"), (nothingEmbedded.ExitCode, nothingEmbedded.Error));
        // The embedder takes no bf16, so the way out named is fp32 (the library's message for the reranker offers bf16).
        Assert.Equal((2, "error: --precision int8 embeds on ONNX Runtime only (on the CPU): drop --engine torchsharp, or embed in fp32 (--precision fp32).\n"),
            (int8OnTorch.ExitCode, int8OnTorch.Error));
        Assert.Equal((2, "error: --precision must be auto, fp32 or int8, found 'INT8'. (see --help)\n"), (upper.ExitCode, upper.Error));
        Assert.Equal((2, "error: --device must be auto, cpu, cuda or cuda:N, found 'cuda:x'. (see --help)\n"), (cudaX.ExitCode, cudaX.Error));
        Assert.False(Directory.Exists(gpu));
        Assert.False(Directory.Exists(cuda));
        Assert.False(Directory.Exists(none));
    }

    private static float[] ReadVectors(string index)
    {
        var bytes = File.ReadAllBytes(Path.Combine(index, "embeddings.f32"));
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    [Fact]
    public async Task Index_EmbedderNone_WritesNoVectorsAndSearchDefaultsToBm25()
    {
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--embedder", "none");
        var dense = await CliInvocation.SearchHost("search", "--index", index, "--retrieval", "dense", "vaccines");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Single(result.OutputLines);
        Assert.False(File.Exists(Path.Combine(index, "embeddings.f32")));
        using (var searcher = Bm25Searcher.Open(index)) Assert.Null(searcher.Manifest.Embeddings);
        Assert.Equal(2, dense.ExitCode);
        Assert.StartsWith($"error: --retrieval dense needs document vectors, and index '{index}' has none", dense.Error);
    }

    [Fact]
    public async Task Index_EmbedderFolderMissing_ExitsTwoAndLeavesNoIndex()
    {
        var index = _temp.Combine("idx");
        var missing = _temp.Combine("no-such-model");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--embedder", missing);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: Embedder folder '{missing}' does not exist.", result.Error);
        Assert.False(Directory.Exists(index));
    }

    [Fact]
    public async Task Index_EmbedderIsAFile_ExitsTwoSayingSo()
    {
        var index = _temp.Combine("idx-file-embedder");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--embedder", SampleCorpus.Corpus);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: Embedder '{SampleCorpus.Corpus}' is a file; expected a sentence-transformers model folder (with modules.json). "
            + "Pass such a folder, --embedder bundled (the default) or --embedder none.\n", result.Error);
        Assert.False(Directory.Exists(index));
    }

    [Fact]
    public async Task Index_ExistingIndexWithoutOverwrite_ExitsTwoWithMessage()
    {
        var index = _temp.Combine("idx");
        var first = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(first.ExitCode == 0, first.ToString());

        var second = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);

        Assert.Equal(2, second.ExitCode);
        Assert.Equal($"error: '{index}' already holds a SearchRerank index. Pass --overwrite to replace it, or choose another --index folder.\n", second.Error);
        Assert.Equal("", second.Output);
    }

    [Fact]
    public async Task Index_ExistingIndexWithOverwrite_ReplacesIt()
    {
        var index = _temp.Combine("idx");
        var first = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(first.ExitCode == 0, first.ToString());
        var small = _temp.WriteFile("small.jsonl",
            """{"_id": "n1", "title": "Narwhals", "text": "Narwhals are whales with a long tusk."}""",
            """{"_id": "n2", "title": "Walruses", "text": "Walruses haul out on sea ice."}""");

        var second = await CliInvocation.SearchHost("index", "--corpus", small, "--index", index, "--overwrite");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.StartsWith($"Indexed 2 documents into {index} ", second.Output);
        using var searcher = Bm25Searcher.Open(index);
        Assert.Equal(2, searcher.DocumentCount);
        Assert.Equal(["n1"], searcher.Search("narwhal tusk", 10).Select(h => h.DocId));
        Assert.Equal(["idx"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName).Where(n => n != "small.jsonl"));
    }

    [Fact]
    public async Task Index_JsonlFormatWithFieldNames_ReadsThoseFields()
    {
        var corpus = _temp.WriteFile("custom.jsonl",
            """{"doc_no": "a-1", "heading": "Tea", "body": "Green tea is steamed; black tea is oxidised."}""",
            """{"doc_no": 2, "heading": "Coffee", "body": "Coffee beans are roasted seeds."}""");
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index,
            "--format", "jsonl", "--id-field", "doc_no", "--title-field", "heading", "--text-field", "body");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith($"Indexed 2 documents into {index} ", result.Output);
        using var searcher = Bm25Searcher.Open(index);
        var hit = Assert.Single(searcher.Search("roasted beans", 10));
        Assert.Equal(("2", "Coffee", "Coffee beans are roasted seeds."), (hit.DocId, hit.Title, hit.Text));
        Assert.Equal(["a-1"], searcher.Search("oxidised", 10).Select(h => h.DocId));
    }

    [Fact]
    public async Task Index_EmptyCorpusFile_BuildsAnEmptyIndexAndWarns()
    {
        var corpus = _temp.Combine("empty.jsonl");
        File.WriteAllText(corpus, "\n");
        var index = _temp.Combine("empty-idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--embedder", "none");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"warning: {corpus} has no documents (it is empty or has only blank lines); the index is empty.\n", result.Error);
        Assert.StartsWith($"Indexed 0 documents into {index}", result.Output);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public async Task Index_EmptyIndexPath_ExitsTwoWithMessage(string index)
    {
        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--embedder", "none");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --index is empty: pass the folder to write the index to, such as --index ./idx.\n", result.Error);
    }

    [Fact]
    public async Task Index_FieldNamesWithBeirFormat_ExitsTwoWithMessage()
    {
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--id-field", "doc_no");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --id-field/--title-field/--text-field apply to --format jsonl; BEIR corpora always use _id, title and text. Add --format jsonl.\n", result.Error);
        Assert.False(Directory.Exists(index));
    }

    [Fact]
    public async Task Index_FolderOfTextFiles_IndexesTxtAndMdWithPathIds()
    {
        _temp.WriteFile("docs/tea.txt", "Green tea is steamed soon after picking.");
        _temp.WriteFile("docs/notes/coffee.md", "# Coffee roasting", "", "Beans turn brown as sugars caramelise.");
        _temp.WriteFile("docs/data.csv", "caramelise,steamed");
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", _temp.Combine("docs"), "--index", index);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith($"Indexed 2 documents into {index} ", result.Output);
        using var searcher = Bm25Searcher.Open(index);
        var coffee = Assert.Single(searcher.Search("caramelise", 10));
        Assert.Equal(("notes/coffee", "Coffee roasting", "Beans turn brown as sugars caramelise."), (coffee.DocId, coffee.Title, coffee.Text));
        var tea = Assert.Single(searcher.Search("steamed", 10));
        Assert.Equal(("tea", ""), (tea.DocId, tea.Title));
    }

    [Fact]
    public async Task Index_TextFormatOnAFile_ExitsTwoWithMessage()
    {
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--format", "text");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: --format text expects a folder of .txt/.md files, but '{SampleCorpus.Corpus}' is not a folder. Pass the folder, or use --format beir|jsonl for a file.\n", result.Error);
    }

    [Fact]
    public async Task Index_MalformedJsonLine_ExitsTwoNamingFileAndLineAndKeepsOldIndex()
    {
        var index = _temp.Combine("idx");
        var first = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        Assert.True(first.ExitCode == 0, first.ToString());
        var before = TopIds(index, "how do vaccines train the immune system?");
        // Line 2 misses the comma after "d2": the reader fails at the '"' that opens "text", byte 14 (1-based).
        var bad = _temp.WriteFile("bad.jsonl",
            """{"_id": "d1", "text": "fine"}""",
            """{"_id": "d2" "text": "no comma"}""",
            """{"_id": "d3", "text": "never read"}""");

        var result = await CliInvocation.SearchHost("index", "--corpus", bad, "--index", index, "--overwrite");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {bad} line 2: expected one JSON object per line, found malformed JSON (error at byte 14). Fix or remove that line.\n", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Equal("", result.Output);
        Assert.Equal(before, TopIds(index, "how do vaccines train the immune system?"));
        using (var searcher = Bm25Searcher.Open(index)) Assert.Equal(SampleCorpus.DocumentCount, searcher.DocumentCount);
        // No half-built index or staging folder is left beside the old one.
        Assert.Equal(["bad.jsonl", "idx"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Index_MalformedJsonLineIntoNewFolder_LeavesNoFolder()
    {
        // '#' cannot start a JSON value: the error is at the first byte.
        var bad = _temp.WriteFile("bad.jsonl", """{"_id": "d1", "text": "fine"}""", "# a comment line");
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", bad, "--index", index);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {bad} line 2: expected one JSON object per line, found malformed JSON (error at byte 1). Fix or remove that line.\n", result.Error);
        Assert.Equal(["bad.jsonl"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Index_EmptyDocumentWithoutSkipEmpty_ExitsTwoWithMessage()
    {
        var corpus = _temp.WriteFile("corpus.jsonl",
            """{"_id": "a", "title": "Tides", "text": "The moon pulls the oceans."}""",
            """{"_id": "e", "title": "", "text": "  "}""",
            """{"_id": "b", "title": "Bread", "text": "Yeast makes dough rise."}""");

        var result = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", _temp.Combine("idx"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {corpus} line 2: document 'e' is empty: expected a title or text, found neither. Remove the line, give the document some text, or pass --skip-empty to leave empty documents out.\n", result.Error);
    }

    [Fact]
    public async Task Index_EmptyDocumentWithSkipEmpty_LeavesItOut()
    {
        var corpus = _temp.WriteFile("corpus.jsonl",
            """{"_id": "a", "title": "Tides", "text": "The moon pulls the oceans."}""",
            """{"_id": "e", "title": "", "text": "  "}""",
            """{"_id": "b", "title": "Bread", "text": "Yeast makes dough rise."}""");
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", corpus, "--index", index, "--skip-empty");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith($"Indexed 2 documents into {index} ", result.Output);
        using var searcher = Bm25Searcher.Open(index);
        Assert.Equal(2, searcher.DocumentCount);
        Assert.Null(searcher.GetDocument("e"));
    }

    [Fact]
    public async Task Index_MissingCorpusFile_ExitsTwoWithMessage()
    {
        var missing = _temp.Combine("nope.jsonl");
        var index = _temp.Combine("idx");

        var result = await CliInvocation.SearchHost("index", "--corpus", missing, "--index", index);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: Corpus file '{missing}' does not exist: expected a BEIR corpus.jsonl, a JSONL file or a folder of .txt/.md files. Check the --corpus path.\n", result.Error);
        Assert.False(Directory.Exists(index));
    }

    [Fact]
    public async Task Index_UnknownFormat_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", _temp.Combine("idx"), "--format", "XML");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: Unknown --format 'xml'. Use beir, jsonl or text.\n", result.Error);
    }

    [Fact]
    public async Task Index_UnknownFieldsMode_ExitsTwoWithMessage()
    {
        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", _temp.Combine("idx"), "--fields", "both");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: Unknown --fields 'both'. Use flat or multifield.\n", result.Error);
    }

    [Fact]
    public async Task Index_MissingRequiredOption_FailsNamingTheOption()
    {
        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("'--index'", result.Error);
    }

    [Fact]
    public async Task Index_MissingRequiredOption_ExitsTwoWithMessageOnly()
    {
        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: Option '--index' is required. (see --help)\n", result.Error);
        Assert.Equal("", result.Output);
    }
}
