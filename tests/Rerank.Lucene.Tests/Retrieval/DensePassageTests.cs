using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Retrieval;

/// <summary>
/// Passage embeddings for the dense stage (index --embed-passages max): documents split by the cross-encoder's splitter,
/// every passage embedded, a document scored by its best passage (MaxP); whole documents (first) as before.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class DensePassageTests(DenseIndexFixture fixture) : IClassFixture<DenseIndexFixture>
{
    private static readonly PassageOptions Window4Stride2 = new(PassageMode.Max, 4, 2);

    // Six geology sentences of ten words each, repeated: 6 x 10 x 6 = 360 words, far past the embedder's 256 tokens.
    private static readonly string Filler = string.Join(' ', Enumerable.Repeat(
        "Granite forms when magma cools slowly deep under the crust. " +
        "Glaciers carved the valleys of the Alps over many millennia. " +
        "Limestone is made of shells of marine animals pressed together. " +
        "Basalt flows cooled quickly and left columns along the coast. " +
        "Sandstone layers record ancient deserts and rivers in their grains. " +
        "Earthquakes release stress built up where tectonic plates meet slowly.", 6));

    private const string Bread = "Yeast ferments sugar and the carbon dioxide makes bread dough rise.";

    /// <summary>A vector of <paramref name="dimension"/> zeros with the given axes set.</summary>
    internal static float[] Vector(int dimension, params (int Axis, float Value)[] parts)
    {
        var v = new float[dimension];
        foreach (var (axis, value) in parts) v[axis] = value;
        return v;
    }

    /// <summary>
    /// An index of one-word documents <paramref name="ids"/> whose passage vectors are <paramref name="rows"/> (document i's
    /// passages one after the other), recorded as made by <paramref name="encoder"/> with 4-word passages, stride 2.
    /// </summary>
    internal static EmbeddingInfo WritePassageIndex(BiEncoder encoder, string index, string[] ids, float[][] rows)
    {
        IndexBuilder.Build(ids.Select(id => new CorpusDocument(id, "", id.ToLowerInvariant())), index, new IndexOptions());
        var record = EmbeddingInfo.For(encoder, 0, 0, new PassageEmbedding(4, 2, "max", 0, PassageEmbedding.CountsFile));
        var info = DocumentVectors.WriteRows(index, record, ids.Length, i => rows[i]);
        (IndexManifest.Read(index) with { Embeddings = info }).Write(index);
        return info;
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return (float)sum;
    }

    private static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        return values;
    }

    private static int[] ReadCounts(string index)
    {
        var bytes = File.ReadAllBytes(Path.Combine(index, PassageEmbedding.CountsFile));
        return Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * 4))).ToArray();
    }

    [Fact]
    public void Build_WithPassages_StoresEachPassageVector_CountsAndManifestByHand()
    {
        using var temp = new TempFolder("dense-passages");
        var index = temp.Combine("idx");
        CorpusDocument[] docs =
        [
            new("ten", "T", "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10"),  // 1 + ceil((10 - 4) / 2) = 4 passages
            new("three", "", "x1 x2 x3"),                        // at most one window: 1
            new("five", "F", "y1  y2\ny3 y4 y5"),                // 1 + ceil((5 - 4) / 2) = 2
        ];

        var manifest = IndexBuilder.Build(docs, index, new IndexOptions(Embedder: fixture.Encoder, EmbedPassages: Window4Stride2));

        Assert.Equal([4, 1, 2], ReadCounts(index));
        var info = manifest.Embeddings!;
        Assert.Equal(7L, info.Count);
        Assert.Equal(3L, info.DocumentCount);
        Assert.Equal(3L, info.Embedded);
        Assert.Equal(new PassageEmbedding(4, 2, "max", 3, PassageEmbedding.CountsFile), info.Passages);
        // The manifest records the window, stride and max as plain JSON.
        var passages = JsonNode.Parse(File.ReadAllText(Path.Combine(index, IndexManifest.FileName)))!["embeddings"]!["passages"]!;
        Assert.Equal((4, 2, "max", 3), ((int)passages["words"]!, (int)passages["stride"]!, (string)passages["score"]!, (int)passages["documents"]!));
        // Row by row, the embedding of each window as written out by hand (title first, words joined by single spaces).
        string[] expectedTexts =
        [
            "T w1 w2 w3 w4", "T w3 w4 w5 w6", "T w5 w6 w7 w8", "T w7 w8 w9 w10",
            "x1 x2 x3",
            "F y1 y2 y3 y4", "F y3 y4 y5",
        ];
        var expected = fixture.Encoder.EmbedMany(expectedTexts);
        var raw = ReadFloats(Path.Combine(index, DocumentVectors.DataFile));
        Assert.Equal(7 * fixture.Encoder.Dimension, raw.Length);
        Assert.True(raw.Zip(expected, (a, b) => Math.Abs(a - b)).Max() < 1e-5);
    }

    /// <summary>MaxP over synthetic passage vectors whose inner products are exact by hand.</summary>
    [Fact]
    public void Rank_PassageIndex_ScoresEachDocumentByItsBestPassage_HandComputed()
    {
        using var temp = new TempFolder("dense-maxp");
        var index = temp.Combine("idx");
        float[] Axis(params (int Axis, float Value)[] parts) => Vector(fixture.Encoder.Dimension, parts);
        // A: passages e0 and e1; B: one passage 0.6 e0 + 0.8 e1; C: passages e2, -e0 and 0.5 e1.
        float[][] rows =
        [
            [.. Axis((0, 1)), .. Axis((1, 1))],
            Axis((0, 0.6f), (1, 0.8f)),
            [.. Axis((2, 1)), .. Axis((0, -1)), .. Axis((1, 0.5f))],
        ];
        var info = WritePassageIndex(fixture.Encoder, index, ["A", "B", "C"], rows);
        Assert.Equal((6L, 3L), (info.Count, info.Passages!.Documents));
        using var bm25 = Bm25Searcher.Open(index);
        var dense = new DenseSearcher(bm25, fixture.Encoder);

        // q = e1: A max(0, 1) = 1; B 0.8; C max(0, 0, 0.5) = 0.5.
        Assert.Equal([1f, 0.8f, 0.5f], dense.ScoreAll(Axis((1, 1))));
        Assert.Equal(["A", "B", "C"], dense.RankVector(Axis((1, 1)), 3).Select(r => r.DocId));
        // q = e0: A 1; B 0.6; C max(0, -1, 0) = 0. q = -e0: A max(-1, 0) = 0; B -0.6; C max(0, 1, 0) = 1.
        Assert.Equal([1f, 0.6f, 0f], dense.ScoreAll(Axis((0, 1))));
        Assert.Equal([0f, -0.6f, 1f], dense.ScoreAll(Axis((0, -1))));
        Assert.Equal(["C", "A"], dense.RankVector(Axis((0, -1)), 2).Select(r => r.DocId));
    }

    /// <summary>
    /// A document whose one relevant sentence comes after 360 words of geology (past the embedder's 256 tokens): first-passage
    /// vectors cannot see it, passage vectors find it, scored by the window that holds the sentence.
    /// </summary>
    [Fact]
    public void Rank_RelevantSentencePastTheFirstWindow_FoundByMaxPNotByFirstPassage()
    {
        using var temp = new TempFolder("dense-long");
        var longText = Filler + " " + Bread + " Fossils of ammonites are common in these rocks.";
        var docs = DenseIndexFixture.Documents.Where(d => d.Id != "cook-1")
            .Append(new CorpusDocument("bake-1", "Baking", "An oven bakes cakes and biscuits at about 180 degrees."))
            .Append(new CorpusDocument("long-1", "Rocks", longText)).ToList();
        // The sentence starts after 360 words: the whole document is cut before it.
        Assert.Equal(360, Filler.Split(' ').Length);
        Assert.Equal(fixture.Encoder.MaxLength, fixture.Encoder.Tokenize(DocumentText.Join("Rocks", Filler)).Length);
        var first = temp.Combine("first");
        var maxp = temp.Combine("maxp");
        IndexBuilder.Build(docs, first, new IndexOptions(Embedder: fixture.Encoder, EmbedPassages: PassageOptions.WholeDocument));
        IndexBuilder.Build(docs, maxp, new IndexOptions(Embedder: fixture.Encoder, EmbedPassages: new PassageOptions(PassageMode.Max, 16, 8)));
        const string query = "why does bread dough rise?";

        using var firstIndex = Bm25Searcher.Open(first);
        using var maxpIndex = Bm25Searcher.Open(maxp);
        var byFirst = new DenseSearcher(firstIndex, fixture.Encoder).Rank(query, docs.Count);
        var byMaxP = new DenseSearcher(maxpIndex, fixture.Encoder).Rank(query, docs.Count);

        var ranks = $"first: {string.Join(", ", byFirst.Select(r => $"{r.DocId} {r.Score:F3}"))}; maxp: {string.Join(", ", byMaxP.Select(r => $"{r.DocId} {r.Score:F3}"))}";
        Assert.True(byMaxP[0].DocId == "long-1", ranks);
        Assert.True(byFirst.Single(r => r.DocId == "long-1").Rank > byFirst.Single(r => r.DocId == "bake-1").Rank, ranks);
        Assert.True(byMaxP[0].Score - byFirst.Single(r => r.DocId == "long-1").Score > 0.2, ranks);
        // Its score is the best of its 16-word windows starting every 8 words (the last one reaching the end), each after the title.
        var words = longText.Split(' ');
        var windows = new List<string>();
        for (var start = 0; ; start += 8)
        {
            windows.Add("Rocks " + string.Join(' ', words.Skip(start).Take(16)));
            if (start + 16 >= words.Length) break;
        }
        Assert.Equal(1 + (379 - 16 + 7) / 8, windows.Count);
        Assert.Contains("Rocks " + Bread + " Fossils of ammonites are common", windows); // the window at word 360 = 45 x 8
        var q = fixture.Encoder.Embed(query);
        var vectors = fixture.Encoder.EmbedMany(windows);
        var best = Enumerable.Range(0, windows.Count).Max(i => Dot(q, vectors.AsSpan(i * q.Length, q.Length)));
        Assert.Equal(best, byMaxP[0].Score, 4);
        // Documents of one window score exactly as in the first-passage index (their only passage is the whole document).
        foreach (var d in byFirst.Where(r => r.DocId != "long-1"))
            Assert.Equal(d.Score, byMaxP.Single(r => r.DocId == d.DocId).Score, 5);
    }

    /// <summary>An index written before passages existed (no passages, engine, precision or embedded in its manifest) loads and ranks as before.</summary>
    [Fact]
    public void OldFormatIndex_WithoutPassageRecord_LoadsAndScoresOneVectorPerDocument()
    {
        using var temp = new TempFolder("dense-old");
        var index = temp.Combine("idx");
        IndexBuilder.Build(DenseIndexFixture.Documents, index, new IndexOptions(Embedder: fixture.Encoder, EmbedPassages: PassageOptions.WholeDocument));
        Assert.False(File.Exists(Path.Combine(index, PassageEmbedding.CountsFile)));
        foreach (var file in new[] { IndexManifest.FileName, DocumentVectors.HeaderFile })
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(index, file)))!;
            var embeddings = file == IndexManifest.FileName ? json["embeddings"]!.AsObject() : json.AsObject();
            // First (whole documents) writes no passage record: the same keys as before passages existed.
            Assert.False(embeddings.ContainsKey("passages"));
            foreach (var key in new[] { "engine", "precision", "embedded" }) embeddings.Remove(key);
            File.WriteAllText(Path.Combine(index, file), json.ToJsonString());
        }

        using var bm25 = Bm25Searcher.Open(index);
        var dense = new DenseSearcher(bm25, fixture.Encoder);
        Assert.Null(dense.Info.Passages);
        Assert.Equal(PassageOptions.WholeDocument, dense.Info.PassageOptions);
        var q = fixture.Encoder.Embed("how long does immunity from vaccines last?");
        var raw = ReadFloats(Path.Combine(index, DocumentVectors.DataFile));
        var dim = q.Length;
        var expected = Enumerable.Range(0, DenseIndexFixture.Documents.Length).Select(i => Dot(q, raw.AsSpan(i * dim, dim))).ToArray();
        var scores = dense.ScoreAll(q);
        Assert.Equal(expected.Length, scores.Length);
        for (var i = 0; i < scores.Length; i++) Assert.Equal(expected[i], scores[i], 5);
    }

    [Fact]
    public void Open_DamagedPassageCounts_RefusedNamingTheFile()
    {
        using var temp = new TempFolder("dense-damaged");
        var index = temp.Combine("idx");
        IndexBuilder.Build(DenseIndexFixture.Documents, index, new IndexOptions(Embedder: fixture.Encoder, EmbedPassages: Window4Stride2));
        var counts = Path.Combine(index, PassageEmbedding.CountsFile);
        var bytes = File.ReadAllBytes(counts);
        BinaryPrimitives.WriteInt32LittleEndian(bytes, BinaryPrimitives.ReadInt32LittleEndian(bytes) + 1);
        File.WriteAllBytes(counts, bytes);

        using var bm25 = Bm25Searcher.Open(index);
        var e = Assert.Throws<InvalidInputException>(() => new DenseSearcher(bm25, fixture.Encoder));

        Assert.Equal(counts, e.Path);
        Assert.Contains("--overwrite", e.Message);
    }

    [Fact]
    public void Update_PassageIndex_SplitsAddedDocumentsTheSameWay_KeepsOthersPassages()
    {
        using var temp = new TempFolder("dense-update");
        var index = temp.Combine("idx");
        IndexBuilder.Build([new("a", "A", "a1 a2 a3 a4 a5 a6"), new("b", "", "b1 b2")], index,
            new IndexOptions(Embedder: fixture.Encoder, EmbedPassages: Window4Stride2));
        var before = ReadFloats(Path.Combine(index, DocumentVectors.DataFile));
        var dim = fixture.Encoder.Dimension;

        // Replace b (now 1 + ceil((7 - 4) / 2) = 3 passages), add c (1 passage); a keeps its 2.
        var result = IndexUpdater.AddOrReplace(index, [new("b", "", "b1 b2 b3 b4 b5 b6 b7"), new("c", "C", "c1")],
            new IndexUpdateOptions(Embedder: fixture.Encoder));

        var info = result.Manifest.Embeddings!;
        Assert.Equal((6L, 3L, 2L), (info.Count, info.Passages!.Documents, info.Embedded!.Value));
        string[] order;
        using (var bm25 = Bm25Searcher.Open(index)) order = bm25.DocumentIdsInOrder();
        var counts = ReadCounts(index);
        Assert.Equal(order.Select(id => id switch { "a" => 2, "b" => 3, _ => 1 }), counts);
        var raw = ReadFloats(Path.Combine(index, DocumentVectors.DataFile));
        var rowOf = order.Select((id, i) => (id, first: counts.Take(i).Sum())).ToDictionary(x => x.id, x => x.first);
        // a's vectors are carried over bit for bit; b's are the embeddings of its new windows, written out by hand.
        Assert.Equal(before.AsSpan(0, 2 * dim).ToArray(), raw.AsSpan(rowOf["a"] * dim, 2 * dim).ToArray());
        var expectedB = fixture.Encoder.EmbedMany(["b1 b2 b3 b4", "b3 b4 b5 b6", "b5 b6 b7"]);
        Assert.True(raw.AsSpan(rowOf["b"] * dim, 3 * dim).ToArray().Zip(expectedB, (x, y) => Math.Abs(x - y)).Max() < 1e-5);
    }

    [Fact]
    public void Update_OtherPassageSettings_RefusedNamingBoth()
    {
        using var temp = new TempFolder("dense-update-refused");
        var index = temp.Combine("idx");
        IndexBuilder.Build(DenseIndexFixture.Documents, index, new IndexOptions(Embedder: fixture.Encoder, EmbedPassages: Window4Stride2));
        var manifest = File.ReadAllText(Path.Combine(index, IndexManifest.FileName));

        var e = Assert.Throws<InvalidInputException>(() => IndexUpdater.AddOrReplace(index, [new("n", "", "new")],
            new IndexUpdateOptions(Embedder: fixture.Encoder, EmbedPassages: PassageOptions.WholeDocument)));
        Assert.Contains("embedding passages first (whole document, truncated by the model) vs max over 4-word passages, stride 2", e.Message);
        // The same settings are accepted; an index without passages refuses max.
        IndexUpdater.AddOrReplace(index, [new("n", "", "new")], new IndexUpdateOptions(Embedder: fixture.Encoder, EmbedPassages: Window4Stride2));
        Assert.NotEqual(manifest, File.ReadAllText(Path.Combine(index, IndexManifest.FileName)));
        var first = temp.Combine("first");
        IndexBuilder.Build(DenseIndexFixture.Documents, first, new IndexOptions(Embedder: fixture.Encoder, EmbedPassages: PassageOptions.WholeDocument));
        var whole = Assert.Throws<InvalidInputException>(() => IndexUpdater.AddOrReplace(first, [new("n", "", "new")],
            new IndexUpdateOptions(Embedder: fixture.Encoder, EmbedPassages: Window4Stride2)));
        Assert.Contains("embedding passages max over 4-word passages, stride 2 vs first (whole document", whole.Message);
    }

    [Fact]
    public void Build_Cancelled_WhenEmbeddingPassagesStarts_NoIndexAndNoTemporaryFolder()
    {
        using var temp = new TempFolder("dense-cancel");
        var index = temp.Combine("idx");
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress(p => { if (p.Stage == "embedding") cts.Cancel(); });

        Assert.ThrowsAny<OperationCanceledException>(() => IndexBuilder.Build(DenseIndexFixture.Documents, index,
            new IndexOptions(Embedder: fixture.Encoder, EmbedPassages: Window4Stride2), progress, cts.Token));

        Assert.False(Directory.Exists(index));
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Build_SumOrBadWindow_Refused()
    {
        using var temp = new TempFolder("dense-bad");
        var sum = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(DenseIndexFixture.Documents, temp.Combine("a"),
            new IndexOptions(Embedder: fixture.Encoder, EmbedPassages: new PassageOptions(PassageMode.Sum, 8, 4))));
        Assert.Contains("sum is offered for the cross-encoder only", sum.Message);
        var stride = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(DenseIndexFixture.Documents, temp.Combine("b"),
            new IndexOptions(Embedder: fixture.Encoder, EmbedPassages: new PassageOptions(PassageMode.Max, 8, 9))));
        Assert.Contains("stride must be between 1 and the passage words (8); got 9", stride.Message);
        var noEmbedder = Assert.Throws<InvalidInputException>(() => IndexBuilder.Build(DenseIndexFixture.Documents, temp.Combine("c"),
            new IndexOptions(EmbedPassages: Window4Stride2)));
        Assert.Contains("need an embedder", noEmbedder.Message);
    }

    /// <summary>Without a passage setting an index embeds the default passages (128-word windows, stride 64), which the manifest records.</summary>
    [Fact]
    public void Build_Default_EmbedsMaxOver128WordWindowsStride64()
    {
        using var bm25 = Bm25Searcher.Open(fixture.Index);
        Assert.Equal(new PassageEmbedding(128, 64, "max", DenseIndexFixture.Documents.Length, PassageEmbedding.CountsFile), bm25.Manifest.Embeddings!.Passages);
        Assert.Equal(new PassageOptions(PassageMode.Max, 128, 64), PassageEmbedding.Default);
    }

    [Fact]
    public void RequireCapacity_CountsPassages()
    {
        DocumentVectors.RequireCapacity(5_592_405, 384, "JSONL corpus big.jsonl", passages: true);
        var e = Assert.Throws<InvalidInputException>(() => DocumentVectors.RequireCapacity(5_592_406, 384, "JSONL corpus big.jsonl", passages: true));
        Assert.StartsWith("JSONL corpus big.jsonl has 5592406 passages to embed;", e.Message);
        Assert.Contains("--embed-passages first", e.Message);
    }

    /// <summary>The CLI: --embed-passages on index, recorded and reported; a conflicting update and settings that would be ignored exit 2.</summary>
    [Fact]
    public async Task Cli_EmbedPassages_BuildReportsPassages_ConflictingUpdateAndBadSettingsExit2()
    {
        using var temp = new TempFolder("cli-dense-passages");
        var index = temp.Combine("idx");
        var more = IndexUpdateCommandTests.WriteMore(temp.Combine("more.jsonl"));

        var build = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--embed-passages", "max", "--embed-passage-words", "16");
        var stats = await CliInvocation.SearchHost("stats", "--index", index);
        var conflicting = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--embed-passages", "first");
        var otherWindow = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--embed-passages", "max", "--embed-passage-words", "32");
        var sameUpdate = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--embed-passages", "max", "--embed-passage-words", "16");
        var noEmbedder = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", temp.Combine("n"), "--embedder", "none", "--embed-passages", "max");
        var wordsWithFirst = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", temp.Combine("w"), "--embed-passages", "first", "--embed-passage-words", "16");
        // The default mode is max, so a window alone sets it; the same window on update is accepted.
        var wordsAlone = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--embed-passage-words", "16");
        var unknown = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", temp.Combine("u"), "--embed-passages", "sum");
        var dense = await CliInvocation.SearchHost("search", "--index", index, "--retrieval", "dense", "--no-rerank", "vaccines and the immune system");

        foreach (var ok in new[] { build, stats, sameUpdate, dense, wordsAlone }) Assert.True(ok.ExitCode == 0, ok.ToString());
        var info = IndexManifest.Read(index).Embeddings!;
        Assert.Equal((16, 8, "max"), (info.Passages!.Words, info.Passages.Stride, info.Passages.Score));
        Assert.Matches(@"^Embedded 41 documents as \d+ passages \(max over 16-word passages, stride 8\) with all-MiniLM-L6-v2 ", build.OutputLines[1]);
        Assert.Contains("passages:    16-word windows, stride 8", stats.Output);
        Assert.Equal(2, conflicting.ExitCode);
        Assert.Contains("--embed-passages first vs max (given vs recorded; the index embeds max over 16-word passages, stride 8)", conflicting.Error);
        Assert.Equal(2, otherWindow.ExitCode);
        // Only what was given is named: not a stride 16 derived from the build defaults.
        Assert.Contains("--embed-passage-words 32 vs 16 (given vs recorded; the index embeds max over 16-word passages, stride 8)", otherWindow.Error);
        Assert.DoesNotContain("stride 16", otherWindow.Error);
        Assert.Equal(2, noEmbedder.ExitCode);
        Assert.Contains("drop --embed-passages", noEmbedder.Error);
        Assert.Equal(2, wordsWithFirst.ExitCode);
        Assert.Contains("add --embed-passages max", wordsWithFirst.Error);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("Unknown --embed-passages 'sum'", unknown.Error);
        Assert.DoesNotContain("   at ", conflicting.Error + otherWindow.Error + noEmbedder.Error + wordsWithFirst.Error + unknown.Error);
    }

    /// <summary>
    /// An update takes the passage settings not given from the index's record (not the build defaults) and refuses only given
    /// values that differ; counts in messages agree in number; a huge window does not overflow the default stride.
    /// </summary>
    [Fact]
    public async Task Cli_UpdateGivenValuesMatchingTheRecord_Accepted_OnlyDifferingGivenOnesRefused_MessagesCounted()
    {
        using var temp = new TempFolder("cli-dense-update");
        var index = temp.Combine("idx");
        var more = IndexUpdateCommandTests.WriteMore(temp.Combine("more.jsonl"));
        var one = temp.Combine("one.jsonl");
        File.WriteAllText(one, "{\"_id\": \"d1\", \"title\": \"Bread\", \"text\": \"" + Bread + "\"}\n");

        var build = await CliInvocation.SearchHost("index", "--corpus", SampleCorpus.Corpus, "--index", index, "--embed-passage-words", "64");
        // Recorded 64/32: "max" alone, and the recorded stride, are the index's own settings.
        var maxOnly = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--embed-passages", "max");
        var sameStride = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--embed-passage-stride", "32");
        var otherWords = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--embed-passage-words", "100");
        var none = await CliInvocation.SearchHost("index", "--corpus", more, "--index", index, "--update", "--embedder", "none");
        var huge = await CliInvocation.SearchHost("index", "--corpus", one, "--index", temp.Combine("huge"), "--embed-passage-words", "2147483647");
        var hugeStats = await CliInvocation.SearchHost("stats", "--index", temp.Combine("huge"));
        var first = await CliInvocation.SearchHost("index", "--corpus", one, "--index", temp.Combine("first"), "--embed-passages", "first");
        var firstStats = await CliInvocation.SearchHost("stats", "--index", temp.Combine("first"));
        var tooBig = await CliInvocation.SearchHost("index", "--corpus", one, "--index", temp.Combine("big"), "--embed-passage-words", "99999999999");

        foreach (var ok in new[] { build, maxOnly, sameStride, huge, hugeStats, first, firstStats }) Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal((64, 32), (IndexManifest.Read(index).Embeddings!.Passages!.Words, IndexManifest.Read(index).Embeddings!.Passages!.Stride));
        // more.jsonl has several documents, each one passage or more; the update says how many passages it embedded.
        var moreDocs = Indexing.IndexUpdaterTests.Added.Length + 1;
        Assert.Matches($@"^Embedded {moreDocs} documents as \d+ passages \(max over 64-word passages, stride 32\) with ", maxOnly.OutputLines.Single(l => l.StartsWith("Embedded", StringComparison.Ordinal)));
        Assert.Equal(2, otherWords.ExitCode);
        Assert.Contains("--embed-passage-words 100 vs 64 (given vs recorded; the index embeds max over 64-word passages, stride 32)", otherWords.Error);
        Assert.DoesNotContain("stride 50", otherWords.Error);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--embedder none embeds nothing", none.Error);
        Assert.DoesNotContain("no embedder was given", none.Error);
        // 2147483647 words: the default stride is half of it, rounded up (not 1 from an overflow).
        var hugeInfo = IndexManifest.Read(temp.Combine("huge")).Embeddings!.Passages!;
        Assert.Equal((2147483647, 1073741824), (hugeInfo.Words, hugeInfo.Stride));
        Assert.StartsWith("Embedded 1 document as 1 passage (max over 2147483647-word passages, stride 1073741824) with ", huge.OutputLines[1]);
        Assert.Contains("1 passage of 1 document; a document scores its best passage", hugeStats.Output);
        Assert.Contains("passages:    first passage only (one vector per document, cut at 256 tokens)", firstStats.Output);
        Assert.StartsWith("Embedded 1 document with ", first.OutputLines[1]);
        Assert.Equal(2, tooBig.ExitCode);
        Assert.Contains("--embed-passage-words must be a whole number from -2147483648 to 2147483647, found '99999999999'", tooBig.Error);
        Assert.DoesNotContain("   at ", otherWords.Error + none.Error + tooBig.Error);
    }

    private sealed class SynchronousProgress(Action<IndexingProgress> report) : IProgress<IndexingProgress>
    {
        public void Report(IndexingProgress value) => report(value);
    }
}
