using System.Globalization;
using System.Text.RegularExpressions;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Evaluation;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Native;
using Search.Host.Cli;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// The README's first command (<c>search-host demo</c>) end to end on the sample corpus, with the
/// project's committed default reranker.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DemoCommandTests
{
    private static string DefaultModel => Path.Combine(TestPaths.RepoRoot, "models", "default-reranker");

    /// <summary>demo --engine applies to the index it builds, as --engine on search applies to the query embedder.</summary>
    [Fact]
    public async Task Demo_EngineTorchSharp_BuildsItsIndexWithTorchSharpAndSaysSo()
    {
        using var temp = new TempFolder("demo-torch");
        var index = temp.Combine("idx");
        var result = await CliInvocation.SearchHost("demo", "--corpus", SampleCorpus.Folder, "--index", index, "--queries", "1", "--no-rerank", "--engine", "torchsharp", "--device", "cpu");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Embedder engine: torchsharp fp32 on cpu", result.Output);
        using var bm25 = Bm25Searcher.Open(index);
        Assert.Equal(("torchsharp", "fp32"), (bm25.Manifest.Embeddings!.Engine, bm25.Manifest.Embeddings.Precision));
    }

    [Fact]
    public async Task Demo_SampleCorpusWithDefaultReranker_IndexesOnceAndShowsBothRankings()
    {
        using var temp = new TempFolder("demo");
        var index = temp.Combine("idx");

        var first = await CliInvocation.SearchHost("demo", "--corpus", SampleCorpus.Folder, "--index", index, "--queries", "2", "--reranker", DefaultModel, "--device", "cpu");
        var second = await CliInvocation.SearchHost("demo", "--corpus", SampleCorpus.Folder, "--index", index, "--queries", "1", "--reranker", DefaultModel, "--device", "cpu");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"Indexed {SampleCorpus.DocumentCount} sample documents", first.Output);
        Assert.DoesNotContain("Indexed", second.Output); // the index is built once
        Assert.Contains("Embedder engine: onnxruntime fp32 on cpu", first.Output);
        Assert.Contains("Query q1:", first.Output);
        Assert.Contains("Query q2:", first.Output);
        Assert.Contains("First stage: hybrid (BM25 top 100 + dense top 100", first.Output); // the demo index has vectors
        Assert.Contains("Reranker: ", first.Output);

        // The summary line's numbers equal an evaluation of the same stages built through the library.
        var match = Regex.Match(first.Output, @"nDCG@10:\s+BM25\s+(\d\.\d{4}),\s+dense\s+(\d\.\d{4}),\s+hybrid\s+(\d\.\d{4}),\s+reranked\s+(\d\.\d{4})");
        Assert.True(match.Success, first.Output);
        using var bm25 = Bm25Searcher.Open(index);
        using var embedder = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu" });
        var dense = new DenseSearcher(bm25, embedder);
        var hybrid = new HybridSearcher(bm25, dense);
        using var encoder = CrossEncoder.Load(DefaultModel, new CrossEncoderOptions { Device = "cpu" });
        var searcher = new RerankingSearcher(hybrid, encoder);
        var qrels = QrelsReader.Read(SampleCorpus.Qrels);
        var queries = QueryFileReader.Read(SampleCorpus.Queries).ToDictionary(q => q.Id, q => q.Text);
        string Ndcg(Func<string, IEnumerable<ScoredDocument>> rank) =>
            RunEvaluation.Evaluate(qrels, queries, t => rank(t).ToList()).Mean.Ndcg10.ToString("F4", CultureInfo.InvariantCulture);
        Assert.Equal(Ndcg(t => bm25.Rank(t, 100).Select(h => new ScoredDocument(h.DocId, h.Score))), match.Groups[1].Value);
        Assert.Equal(Ndcg(t => dense.Rank(t, 100).Select(h => new ScoredDocument(h.DocId, h.Score))), match.Groups[2].Value);
        Assert.Equal(Ndcg(t => hybrid.Rank(t, 100).Select(h => new ScoredDocument(h.DocId, h.Score))), match.Groups[3].Value);
        Assert.Equal(Ndcg(t => searcher.Search(t, 100).Select(h => new ScoredDocument(h.DocId, h.Score))), match.Groups[4].Value);
    }

    [Fact]
    public async Task Demo_MissingCorpus_ExitsTwoWithMessage()
    {
        using var temp = new TempFolder("demo");

        var result = await CliInvocation.SearchHost("demo", "--corpus", temp.Path, "--index", temp.Combine("idx"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: The sample corpus '{Path.Combine(temp.Path, "corpus.jsonl")}' is missing. Run the demo from the repository root, or pass --corpus FOLDER.\n", result.Error);
    }

    /// <summary>
    /// Bad first-stage flag values are reported as such where the sample corpus is not found (the demo run outside the repository
    /// root), not hidden behind "the sample corpus is missing" (QA): values are checked before any file is looked for.
    /// </summary>
    [Theory]
    [InlineData(new[] { "--retrieval", "vector" }, "error: Unknown --retrieval 'vector'. Use bm25, dense or hybrid. (see --help)")]
    [InlineData(new[] { "--fusion", "mean" }, "error: Unknown --fusion 'mean'. Use rrf or minmax. (see --help)")]
    [InlineData(new[] { "--fusion", "rrf", "--dense-weight", "0.3" }, "error: --dense-weight applies to --fusion minmax; add --fusion minmax or drop --dense-weight.")]
    [InlineData(new[] { "--dense-weight", "1.5" }, "error: --dense-weight must be between 0 and 1, found 1.5.")]
    public async Task Demo_BadFirstStageValue_WithoutTheSampleCorpus_ReportsTheValueNotTheCorpus(string[] flags, string message)
    {
        using var temp = new TempFolder("demo-bad-value");

        var result = await CliInvocation.SearchHost(["demo", "--corpus", temp.Combine("not-here"), "--index", temp.Combine("idx"), "--no-rerank", .. flags]);

        UnknownOptionTests.AssertBadInput(result, message);
        Assert.False(Directory.Exists(temp.Combine("idx")));
    }

    [Fact]
    public async Task Demo_CorpusFolderWithoutQueries_ExitsTwoBeforeIndexingAnything()
    {
        using var temp = new TempFolder("demo-no-queries");
        var folder = temp.Combine("c");
        Directory.CreateDirectory(folder);
        File.Copy(SampleCorpus.Corpus, Path.Combine(folder, "corpus.jsonl"));
        var index = temp.Combine("idx");

        var result = await CliInvocation.SearchHost("demo", "--corpus", folder, "--index", index, "--no-rerank", "--device", "cpu");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(Path.Combine(folder, "queries.jsonl"), result.Error);
        Assert.DoesNotContain("Indexed", result.Output);
        Assert.False(Directory.Exists(index));
    }

    [Fact]
    public async Task Demo_RerankerSettingsThatCannotRun_ExitTwoBeforeIndexingAnything()
    {
        using var temp = new TempFolder("demo-bad-reranker");
        var index = temp.Combine("idx");

        var result = await CliInvocation.SearchHost("demo", "--corpus", SampleCorpus.Folder, "--index", index, "--reranker", DefaultModel,
            "--engine", "onnxruntime", "--precision", "bf16");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: Precision bf16 runs on TorchSharp only; use --precision fp32 or int8 with ONNX Runtime, or the TorchSharp engine for bf16.\n", result.Error);
        Assert.DoesNotContain("Indexed", result.Output);
        Assert.False(Directory.Exists(index));
    }

    [Fact]
    public async Task Demo_TypedPrecision_IsTheRerankers_TheEmbedderLineSaysSo()
    {
        using var temp = new TempFolder("demo-precision");
        var index = temp.Combine("idx");

        var result = await CliInvocation.SearchHost("demo", "--corpus", SampleCorpus.Folder, "--index", index, "--reranker", DefaultModel,
            "--precision", "int8", "--queries", "1");

        Assert.True(result.ExitCode == 0, result.ToString());
        // The console wraps long lines at its width: compare with whitespace runs as single spaces.
        var output = System.Text.RegularExpressions.Regex.Replace(result.Output, @"\s+", " ");
        Assert.Contains("Embedder engine: onnxruntime fp32 on cpu (the demo embeds in fp32; --precision sets the reranker's). ", output);
    }

    [Fact]
    public async Task Demo_IndexBuiltFromAnotherCorpus_ExitsTwoNamingBoth_AndLeavesTheIndexAlone()
    {
        using var temp = new TempFolder("demo-other-corpus");
        var other = temp.Combine("other");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "corpus.jsonl"), "{\"_id\": \"x1\", \"title\": \"\", \"text\": \"Another corpus entirely.\"}\n");
        var index = temp.Combine("idx");
        var built = await CliInvocation.SearchHost("index", "--corpus", Path.Combine(other, "corpus.jsonl"), "--index", index, "--embedder", "none");
        Assert.True(built.ExitCode == 0, built.ToString());
        var manifest = File.ReadAllText(Path.Combine(index, IndexManifest.FileName));

        var result = await CliInvocation.SearchHost("demo", "--corpus", SampleCorpus.Folder, "--index", index, "--queries", "1", "--no-rerank", "--device", "cpu");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: Index '{index}' was built from {Path.Combine(other, "corpus.jsonl")}, not from --corpus {Path.GetFullPath(SampleCorpus.Folder)}: "
            + "its documents would be judged with another corpus's queries. "
            + $"Pass --index with another folder (the demo builds it there), or delete '{index}' to rebuild it from this corpus.\n", result.Error);
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(index, IndexManifest.FileName)));
    }

    [Fact]
    public void DefaultReranker_CommittedModel_LoadsWithItsTrainedLengthAndTunedWeight()
    {
        using var encoder = CrossEncoder.Load(DefaultModel, new CrossEncoderOptions { Device = "cpu" });

        Assert.Equal(ScoreActivation.Sigmoid, encoder.Activation);
        Assert.Equal(128, encoder.MaxLength); // trained length, from searchrerank.json
        Assert.InRange(encoder.Settings.InterpolationWeight!.Value, 0, 1);
    }
}
