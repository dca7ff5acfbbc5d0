using System.Globalization;
using System.Text;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tests.Reranking;

namespace Rerank.Lucene.Tests.Cli;

/// <summary>
/// A corpus large enough that indexing it takes many seconds (300,000 short generated documents), so
/// a test can signal the build while it runs. Written once per test class.
/// </summary>
public sealed class LargeCorpusFixture : IDisposable
{
    private const int Documents = 300_000;
    private readonly TempFolder _folder = new("cli-large-corpus");

    public LargeCorpusFixture()
    {
        Corpus = _folder.Combine("corpus.jsonl");
        string[] words = ["tide", "moon", "bread", "yeast", "vaccine", "bridge", "river", "stone", "light", "water", "sugar", "cell", "heart", "storm", "glass", "metal"];
        var random = new Random(5);
        using var writer = new StreamWriter(Corpus, false, new UTF8Encoding(false)) { NewLine = "\n" };
        var text = new StringBuilder();
        for (var i = 0; i < Documents; i++)
        {
            text.Clear();
            for (var w = 0; w < 12; w++) text.Append(words[random.Next(words.Length)]).Append(' ');
            writer.WriteLine($"{{\"_id\": \"g{i}\", \"title\": \"\", \"text\": \"{text.ToString().TrimEnd()}\"}}");
        }
    }

    /// <summary>The BEIR corpus.jsonl.</summary>
    public string Corpus { get; }

    public void Dispose() => _folder.Dispose();
}

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM sent to real <c>search-host</c> processes: they exit 130, say what is
/// kept, keep the old index searchable and leave no temporary folder or lock file; and two builds of one
/// index at once: the second is refused naming the first.
/// </summary>
public sealed class IndexSignalTests(LargeCorpusFixture large) : IClassFixture<LargeCorpusFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-signal");

    public void Dispose() => _temp.Dispose();

    private static string[] TopIds(string index, string query)
    {
        using var searcher = Bm25Searcher.Open(index);
        return searcher.Search(query, 10).Select(h => h.DocId).ToArray();
    }

    private string[] Entries() => Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private Task WaitForBuildFolder(ChildProcess child) =>
        child.WaitUntil(() => Directory.GetDirectories(_temp.Path, ".idx.building-*").Length > 0, "the build's temporary folder");

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Index_SignalWhileOverwriting_Exits130AndOldIndexStillSearches(string signal)
    {
        var index = _temp.Combine("idx");
        IndexBuilder.Build(CorpusReader.ReadJsonl(SampleCorpus.Corpus), index, new IndexOptions());
        const string query = "how do vaccines train the immune system?";
        var before = TopIds(index, query);
        using var child = ChildProcess.SearchHost("index", "--corpus", large.Corpus, "--index", index, "--overwrite");
        await WaitForBuildFolder(child);

        child.Signal(signal);
        var code = await child.WaitForExit();

        Assert.True(code == 130, $"exit {code}\n{child}");
        Assert.EndsWith($"cancelled: the index '{index}' is untouched and searches as before; the partial build was removed.\n", child.Error);
        Assert.DoesNotContain("   at ", child.Error);
        Assert.Equal("", child.Output);
        Assert.Equal(before, TopIds(index, query));
        using (var searcher = Bm25Searcher.Open(index)) Assert.Equal(SampleCorpus.DocumentCount, searcher.DocumentCount);
        Assert.Equal(["idx"], Entries());
    }

    [Fact]
    public async Task Index_SigintOnNewIndex_Exits130AndLeavesNothing()
    {
        var index = _temp.Combine("idx");
        using var child = ChildProcess.SearchHost("index", "--corpus", large.Corpus, "--index", index);
        await WaitForBuildFolder(child);

        child.Signal("INT");
        var code = await child.WaitForExit();

        Assert.True(code == 130, $"exit {code}\n{child}");
        Assert.EndsWith($"cancelled: no index was written to '{index}'; the partial build was removed.\n", child.Error);
        Assert.Empty(Entries());
    }

    [Fact]
    public async Task Index_TwoBuildsOfOneIndexAtOnce_SecondExitsTwoNamingTheFirst()
    {
        var index = _temp.Combine("idx");
        using var first = ChildProcess.SearchHost("index", "--corpus", large.Corpus, "--index", index);
        await WaitForBuildFolder(first);

        using var second = ChildProcess.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);
        var secondCode = await second.WaitForExit();

        Assert.True(secondCode == 2, $"exit {secondCode}\n{second}");
        Assert.Equal($"error: Index '{index}' is being written by another process (pid {first.Id}); only one build or update of an index can run at a time. " +
            "Wait for it to finish (or stop it), then run again.\n", second.Error);
        Assert.Equal("", second.Output);
        // The first build goes on undisturbed: its temporary folder is still there.
        Assert.Single(Directory.GetDirectories(_temp.Path, ".idx.building-*"));

        first.Signal("TERM");
        Assert.Equal(130, await first.WaitForExit());
        Assert.Empty(Entries());
    }

    [Fact]
    public async Task Index_AfterAKilledBuild_NextBuildRemovesItsLeftoversAndSucceeds()
    {
        var index = _temp.Combine("idx");
        using (var killed = ChildProcess.SearchHost("index", "--corpus", large.Corpus, "--index", index))
        {
            await WaitForBuildFolder(killed);
            killed.Dispose(); // SIGKILL: no clean-up at all
        }
        Assert.Single(Directory.GetDirectories(_temp.Path, ".idx.building-*"));

        var result = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["idx"], Entries());
    }
}

/// <summary>The interactive <c>search</c> prompt of a real process quits on Ctrl-C and SIGTERM.</summary>
public sealed class SearchSignalTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Search_InteractivePromptGetsSignal_Exits130(string signal)
    {
        using var child = ChildProcess.SearchHost("search", "--index", sample.Index, "--no-rerank");
        await child.Input.WriteLineAsync("vaccines immune system");
        await child.Input.FlushAsync();
        await child.WaitUntil(() => child.Output.Contains("sci-03", StringComparison.Ordinal) && child.Error.EndsWith("query> ", StringComparison.Ordinal),
            "the answer and the next prompt");

        child.Signal(signal);
        var code = await child.WaitForExit(seconds: 20);

        Assert.True(code == 130, $"exit {code}\n{child}");
        Assert.EndsWith("query> \ncancelled: search stopped; nothing was changed.\n", child.Error);
    }
}

/// <summary><c>eval --reranker</c> of a real process stops between reranking batches on Ctrl-C.</summary>
[Collection(TorchCollection.Name)]
public sealed class EvalSignalTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>, IDisposable
{
    private readonly TempFolder _temp = new("cli-eval-signal");
    private readonly string _model = TinyCrossEncoder.Create(seed: 5);

    public void Dispose()
    {
        _temp.Dispose();
        Directory.Delete(Path.GetDirectoryName(_model)!, recursive: true);
    }

    [Fact]
    public async Task Eval_SigintWhileReranking_Exits130WithoutMetrics()
    {
        // 20,000 judged queries (the sample's texts over and over): reranking them takes far longer than the test waits.
        var texts = File.ReadAllLines(SampleCorpus.Queries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToArray();
        var queries = _temp.WriteFile("queries.jsonl", Enumerable.Range(0, 20_000)
            .Select(i => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["_id"] = $"x{i}", ["text"] = texts[i % texts.Length] })).ToArray());
        var qrels = _temp.WriteFile("qrels.tsv", ["query-id\tcorpus-id\tscore", .. Enumerable.Range(0, 20_000).Select(i => string.Create(CultureInfo.InvariantCulture, $"x{i}\tsci-03\t1"))]);
        var run = _temp.Combine("reranked.run");
        using var child = ChildProcess.SearchHost("eval", "--index", sample.Index, "--queries", queries, "--qrels", qrels,
            "--reranker", _model, "--device", "cpu", "--reranked-run", run, "--json");
        // Progress lines come every 5 seconds while reranking.
        await child.WaitForError("Reranking (queries): ");

        child.Signal("INT");
        var code = await child.WaitForExit();

        Assert.True(code == 130, $"exit {code}\n{child}");
        Assert.EndsWith($"cancelled: no metrics were printed; '{run}' was not written (an existing file is unchanged).\n", child.Error);
        Assert.Equal("", child.Output);
        // No partial run file, and no temporary one beside it.
        Assert.False(File.Exists(run));
        Assert.Empty(Directory.GetFiles(_temp.Path, "*reranked.run*"));
    }
}
