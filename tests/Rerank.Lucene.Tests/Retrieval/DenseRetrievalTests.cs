using System.Buffers.Binary;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Indexing;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Retrieval;
using Rerank.Lucene.Tests.Cli;
using Rerank.Lucene.Tests.Native;

namespace Rerank.Lucene.Tests.Retrieval;

/// <summary>A small index with vectors from the bundled MiniLM, built once for the tests below.</summary>
public sealed class DenseIndexFixture : IDisposable
{
    private readonly TempFolder _folder = new("dense-idx");

    public static readonly CorpusDocument[] Documents =
    [
        new("vac-1", "Vaccines", "A vaccine trains the immune system to recognise a pathogen and remember it."),
        new("z9", "Bridges", "Wind makes long suspension bridges sway and oscillate."),
        new("cook-1", "Bread", "Yeast ferments sugar and the carbon dioxide makes bread dough rise."),
        new("a0", "Bridges", "Wind makes long suspension bridges sway and oscillate."),
        new("run-1", "Marathon", "Runners train for months before a marathon of 42 kilometres."),
        new("sea-1", "Tides", "The gravity of the moon pulls the oceans and causes tides."),
        new("leaf-1", "", "Plants turn light, water and carbon dioxide into sugar by photosynthesis."),
        new("vac-2", "Immunity", "After infection or vaccination, memory cells keep immunity for years."),
    ];

    public DenseIndexFixture()
    {
        Encoder = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu" });
        Index = _folder.Combine("idx");
        IndexBuilder.Build(Documents, Index, new IndexOptions(Embedder: Encoder));
    }

    public BiEncoder Encoder { get; }

    public string Index { get; }

    public void Dispose()
    {
        Encoder.Dispose();
        _folder.Dispose();
    }
}

[Collection(TorchCollection.Name)]
public sealed class DenseRetrievalTests(DenseIndexFixture fixture) : IClassFixture<DenseIndexFixture>
{
    private static float[] ReadRawVectors(string index, int dimension, out int count)
    {
        var bytes = File.ReadAllBytes(Path.Combine(index, "embeddings.f32"));
        count = bytes.Length / 4 / dimension;
        var values = new float[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        return values;
    }

    [Fact]
    public void RequireCapacity_RefusesMoreDocumentsThanOneFloatArrayHolds_BeforeAnyWork()
    {
        // Array.MaxLength = 0x7FFFFFC7 = 2,147,483,591 floats; / 384 = 5,592,405.18 -> 5,592,405 documents (by hand).
        Assert.Equal(5_592_405L, DocumentVectors.MaxDocuments(384));
        DocumentVectors.RequireCapacity(5_592_405, 384, "JSONL corpus big.jsonl");
        var e = Assert.Throws<InvalidInputException>(() => DocumentVectors.RequireCapacity(5_592_406, 384, "JSONL corpus big.jsonl"));
        Assert.StartsWith("JSONL corpus big.jsonl has 5592406 documents;", e.Message);
        Assert.Contains("at most 5592405 documents", e.Message);
        Assert.Contains("--embedder none", e.Message);
    }

    [Fact]
    public void Build_WithEmbedder_StoresOneVectorPerDocumentInCorpusOrder()
    {
        var dim = fixture.Encoder.Dimension;
        var raw = ReadRawVectors(fixture.Index, dim, out var count);
        var expected = fixture.Encoder.EmbedMany(DenseIndexFixture.Documents.Select(d => DocumentText.Join(d.Title, d.Text)).ToList());

        Assert.Equal(DenseIndexFixture.Documents.Length, count);
        Assert.True(raw.Zip(expected, (a, b) => Math.Abs(a - b)).Max() < 1e-5);
        var manifest = IndexManifest.Read(fixture.Index);
        var info = manifest.Embeddings!;
        Assert.Equal((fixture.Encoder.Fingerprint, 384, "mean", true, 256, 8L, "float32-le"),
            (info.Fingerprint, info.Dimension, info.Pooling, info.Normalized, info.MaxLength, info.Count, info.DType));
    }

    [Fact]
    public void Rank_EqualsBruteForceInnerProductOverTheFile()
    {
        using var bm25 = Bm25Searcher.Open(fixture.Index);
        var dense = new DenseSearcher(bm25, fixture.Encoder);
        const string query = "how long does immunity from vaccines last?";
        var q = fixture.Encoder.Embed(query);
        var raw = ReadRawVectors(fixture.Index, q.Length, out var count);
        var expected = Enumerable.Range(0, count)
            .Select(i => (Id: DenseIndexFixture.Documents[i].Id, Score: Enumerable.Range(0, q.Length).Sum(d => (double)q[d] * raw[i * q.Length + d])))
            .OrderByDescending(e => e.Score).ThenBy(e => e.Id, RankingOrder.TieBreak).Take(5).ToList();

        var ranked = dense.Rank(query, 5);

        Assert.Equal(expected.Select(e => e.Id), ranked.Select(r => r.DocId));
        Assert.Equal([1, 2, 3, 4, 5], ranked.Select(r => r.Rank));
        for (var i = 0; i < 5; i++) Assert.Equal(expected[i].Score, ranked[i].Score, 5);
        Assert.StartsWith("vac-", ranked[0].DocId);
        var hits = dense.Search(query, 2);
        Assert.Equal(ranked.Take(2).Select(r => r.DocId), hits.Select(h => h.DocId));
        Assert.Equal(DenseIndexFixture.Documents.Single(d => d.Id == hits[0].DocId).Text, hits[0].Text);
    }

    [Fact]
    public void Rank_IdenticalDocuments_TieBrokenByDocId()
    {
        using var bm25 = Bm25Searcher.Open(fixture.Index);
        var dense = new DenseSearcher(bm25, fixture.Encoder);

        var ranked = dense.Rank("why do suspension bridges sway in the wind?", 2);

        // a0 and z9 have the same text: equal scores, z9 ranks first (document id descending, RankingOrder).
        Assert.Equal(["z9", "a0"], ranked.Select(r => r.DocId));
        Assert.Equal(ranked[0].Score, ranked[1].Score);
    }

    [Fact]
    public void DenseSearcher_VectorsFromAnotherModel_AreRefused()
    {
        using var bm25 = Bm25Searcher.Open(fixture.Index);
        var other = bm25.Manifest.Embeddings! with { Fingerprint = "sha256:0000000000000000000000000000000000000000000000000000000000000000", Model = "other-model" };

        var e = Assert.Throws<InvalidInputException>(() => other.RequireCompatible(fixture.Encoder, fixture.Index));

        Assert.Contains("were made with other-model", e.Message);
        Assert.Equal(Path.Combine(fixture.Index, IndexManifest.FileName), e.Path);
    }

    [Fact]
    public void DenseSearcher_IndexWithoutVectors_IsRefused()
    {
        using var temp = new TempFolder("no-vectors");
        var index = temp.Combine("idx");
        IndexBuilder.Build(DenseIndexFixture.Documents, index, new IndexOptions());
        using var bm25 = Bm25Searcher.Open(index);

        var e = Assert.Throws<InvalidInputException>(() => new DenseSearcher(bm25, fixture.Encoder));

        Assert.Contains("has no document vectors", e.Message);
        Assert.False(File.Exists(Path.Combine(index, DocumentVectors.DataFile)));
    }

    [Fact]
    public void DenseSearcher_TruncatedVectorFile_IsRefused()
    {
        using var temp = new TempFolder("damaged");
        var index = temp.Combine("idx");
        foreach (var file in Directory.GetFiles(fixture.Index)) { Directory.CreateDirectory(index); File.Copy(file, Path.Combine(index, Path.GetFileName(file))); }
        using (var stream = new FileStream(Path.Combine(index, DocumentVectors.DataFile), FileMode.Open)) stream.SetLength(stream.Length - 4);
        using var bm25 = Bm25Searcher.Open(index);

        var e = Assert.Throws<InvalidInputException>(() => new DenseSearcher(bm25, fixture.Encoder));

        Assert.Contains($"has {8 * 384 * 4 - 4} bytes; 8 x 384 float32 vectors take {8 * 384 * 4}", e.Message);
    }

    [Fact]
    public void DenseSearcher_NaNInTheVectorFile_IsRefusedNamingTheVector()
    {
        using var temp = new TempFolder("nan-vector");
        var index = temp.Combine("idx");
        Directory.CreateDirectory(index);
        foreach (var file in Directory.GetFiles(fixture.Index)) File.Copy(file, Path.Combine(index, Path.GetFileName(file)));
        // Vector 2, value 5 (float offset 2 * 384 + 5) becomes NaN; the file keeps its size.
        using (var stream = new FileStream(Path.Combine(index, DocumentVectors.DataFile), FileMode.Open))
        {
            stream.Position = (2 * 384 + 5) * 4L;
            stream.Write(BitConverter.GetBytes(float.NaN));
        }
        using var bm25 = Bm25Searcher.Open(index);

        var e = Assert.Throws<InvalidInputException>(() => new DenseSearcher(bm25, fixture.Encoder));

        Assert.Contains("holds NaN in vector 2 (value 5); vectors are finite. The file is damaged.", e.Message);
    }

    [Fact]
    public void Build_EmbedderFails_ExistingIndexUntouchedAndNoTemporaryFolderLeft()
    {
        using var temp = new TempFolder("embed-fail");
        var index = temp.Combine("idx");
        IndexBuilder.Build(DenseIndexFixture.Documents.Take(2), index, new IndexOptions());
        var broken = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu" });
        broken.Dispose();

        Assert.Throws<ObjectDisposedException>(() =>
            IndexBuilder.Build(DenseIndexFixture.Documents, index, new IndexOptions(Overwrite: true, Embedder: broken)));

        Assert.Equal(2, IndexManifest.Read(index).DocumentCount);
        Assert.Null(IndexManifest.Read(index).Embeddings);
        Assert.Equal(["idx"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Hybrid_DocumentFirstInBoth_ScoresTwoOverSixtyOne_AndHoldsTheUnion()
    {
        using var bm25 = Bm25Searcher.Open(fixture.Index);
        var dense = new DenseSearcher(bm25, fixture.Encoder);
        var hybrid = new HybridSearcher(bm25, dense, new HybridOptions { Depth = 3, Method = FusionMethod.ReciprocalRank });
        var minMax = new HybridSearcher(bm25, dense, new HybridOptions { Depth = 3 });
        const string query = "moon gravity causes ocean tides";

        var fused = hybrid.Rank(query, 10);

        Assert.Equal("sea-1", bm25.Rank(query, 1)[0].DocId);
        Assert.Equal("sea-1", dense.Rank(query, 1)[0].DocId);
        Assert.Equal("sea-1", fused[0].DocId);
        Assert.Equal((float)(2.0 / 61), fused[0].Score);
        // The default, weighted min-max: the top of both rankings normalises to 1 in each, 0.55 * 1 + 0.45 * 1.
        Assert.Equal(FusionMethod.WeightedMinMax, minMax.Options.Method);
        Assert.Equal(("sea-1", 1f), (minMax.Rank(query, 1)[0].DocId, minMax.Rank(query, 1)[0].Score));
        // Ten asked for, above the window of 3 from each: first the window's fusion, exactly as a search within it gives it (ids,
        // order, scores), then the rest of each stage's top 10 in their own fusion's order, scored below the window's lowest.
        var window = Fusion.ReciprocalRank([bm25.Rank(query, 3), dense.Rank(query, 3)], 60);
        Assert.Equal(window.Select(r => (r.DocId, r.Score)), fused.Take(window.Count).Select(r => (r.DocId, r.Score)));
        var deeper = Fusion.ReciprocalRank([bm25.Rank(query, 10), dense.Rank(query, 10)], 60).Where(r => !window.Any(w => w.DocId == r.DocId)).ToList();
        Assert.NotEmpty(deeper);
        Assert.Equal(deeper.Select(r => r.DocId), fused.Skip(window.Count).Select(r => r.DocId));
        Assert.All(fused.Skip(window.Count), r => Assert.True(r.Score < window[^1].Score));
        Assert.Equal(Enumerable.Range(1, fused.Count), fused.Select(r => r.Rank));
        var union = bm25.Rank(query, 10).Select(r => r.DocId).Union(dense.Rank(query, 10).Select(r => r.DocId)).Order(StringComparer.Ordinal);
        Assert.Equal(union, fused.Select(f => f.DocId).Order(StringComparer.Ordinal));
        // Two asked for, within the depth: each stage gives its top 3, fused, the best 2 returned.
        var shallow = Fusion.ReciprocalRank([bm25.Rank(query, 3), dense.Rank(query, 3)], 60).Take(2);
        Assert.Equal(shallow.Select(r => (r.DocId, r.Score)), hybrid.Rank(query, 2).Select(r => (r.DocId, r.Score)));
        var hits = hybrid.Search(query, 2);
        Assert.Equal(hybrid.Rank(query, 2).Select(f => f.DocId), hits.Select(h => h.DocId));
        Assert.Equal("Tides", hits[0].Title);
    }

    [Fact]
    public void Reranking_HybridCandidates_ReportsTheirFusedRanks()
    {
        using var bm25 = Bm25Searcher.Open(fixture.Index);
        var hybrid = new HybridSearcher(bm25, new DenseSearcher(bm25, fixture.Encoder));
        using var encoder = CrossEncoder.Load(Path.Combine(TestPaths.RepoRoot, "models", "default-reranker"), new CrossEncoderOptions { Device = "cpu" });
        var searcher = new RerankingSearcher(hybrid, encoder, new RerankOptions { Candidates = 4, ScoreMode = ScoreMode.Replace });
        const string query = "what makes bread dough rise?";

        var candidates = hybrid.Rank(query, 4);
        var reranked = searcher.Search(query, 4);

        Assert.Same(hybrid, searcher.FirstStage);
        Assert.Equal(candidates.Select(c => c.DocId).Order(StringComparer.Ordinal), reranked.Select(r => r.DocId).Order(StringComparer.Ordinal));
        foreach (var hit in reranked)
        {
            var candidate = candidates.Single(c => c.DocId == hit.DocId);
            Assert.Equal(candidate.Rank, hit.FirstStageRank);
            Assert.Equal(candidate.Score, hit.FirstStageScore);
        }
        Assert.Equal("cook-1", reranked[0].DocId);
    }

    [Fact]
    public void Update_WithVectors_KeepsEveryDocumentsOwnVectorInTheNewOrder_AndOpenDenseSearcherFollows()
    {
        using var folder = new TempFolder("dense-update");
        var index = folder.Combine("idx");
        IndexBuilder.Build(DenseIndexFixture.Documents, index, new IndexOptions(Embedder: fixture.Encoder));
        using var bm25 = Bm25Searcher.Open(index);
        var dense = new DenseSearcher(bm25, fixture.Encoder);
        Assert.Equal("sea-1", dense.Rank("the moon pulls the oceans", 1)[0].DocId);
        CorpusDocument[] added = [new("owl-1", "Owls", "Owls hunt mice at night and see well in the dark."), new("tea-1", "Tea", "Green tea leaves are steamed and dried.")];
        var replaced = new CorpusDocument("vac-1", "Vaccines", "Oceans rise and fall with the pull of the moon.");

        var result = IndexUpdater.Update(index, [added[0], replaced, added[1]], ["sea-1"], new IndexUpdateOptions(Embedder: fixture.Encoder));

        Assert.Equal((2L, 1L, 1L), (result.Added, result.Replaced, result.Deleted));
        var final = DenseIndexFixture.Documents.Where(d => d.Id != "sea-1").Select(d => d.Id == "vac-1" ? replaced : d).Concat(added).ToDictionary(d => d.Id);
        using var reopened = Bm25Searcher.Open(index);
        var ids = reopened.DocumentIdsInOrder();
        var raw = ReadRawVectors(index, fixture.Encoder.Dimension, out var count);
        Assert.Equal(final.Count, count);
        Assert.Equal(final.Keys.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        for (var row = 0; row < count; row++)
        {
            // Reference: the document embedded on its own, now.
            var expected = fixture.Encoder.Embed(DocumentText.Join(final[ids[row]].Title, final[ids[row]].Text));
            var actual = raw.AsSpan(row * expected.Length, expected.Length).ToArray();
            Assert.True(actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max() < 1e-5, $"row {row} ({ids[row]})");
        }
        Assert.Equal(count, IndexManifest.Read(index).Embeddings!.Count);
        // The dense searcher opened before the update follows the index after it: the replaced text is found, the deleted one gone.
        var hits = dense.Search("the moon pulls the oceans", 10);
        Assert.Equal("vac-1", hits[0].DocId);
        Assert.Equal(replaced.Text, hits[0].Text);
        Assert.DoesNotContain(hits, h => h.DocId == "sea-1");
        Assert.Equal(9, hits.Count);
    }

    [Fact]
    public void FirstStages_ModelsTunedFusion_FusesWithItsWeightOverItsEmbeddersVectors_AndRefusesAnotherEmbedders()
    {
        using var bm25 = Bm25Searcher.Open(fixture.Index);
        var info = bm25.Manifest.Embeddings!;
        var tuned = new FusionSettings(FusionSettings.MinMax, 0.8, info.Model, info.Fingerprint, "test");
        using var stages = FirstStages.Open(bm25, "hybrid", encoderOptions: new BiEncoderOptions { Device = "cpu" }, hybridOptions: tuned.ToHybridOptions());

        // The fused scores are Fusion.WeightedMinMax of the two lists at 0.2 / 0.8, computed here from the stages' own lists.
        const string query = "why does dough rise";
        var expected = Fusion.WeightedMinMax([(bm25.Rank(query, 100), 0.2), (stages.Dense!.Rank(query, 100), 0.8)]);
        var hits = stages.Chosen.Rank(query, 100);
        Assert.Equal(expected.Select(d => d.DocId), hits.Select(d => d.DocId));
        Assert.Equal(expected.Select(d => d.Score), hits.Select(d => d.Score));
        Assert.Contains("dense weight 0.8 tuned with the reranker", stages.Describe());

        var other = tuned with { Embedder = "other-model", EmbedderFingerprint = "0123abcd" };
        var e = Assert.Throws<InvalidInputException>(() => FirstStages.Open(bm25, "hybrid", hybridOptions: other.ToHybridOptions()));
        Assert.Contains("tuned over vectors of other-model (0123abcd)", e.Message);
        Assert.Contains($"holds vectors of {info.Model} ({info.Fingerprint}; {FusionSettings.VectorsOf(info)})", e.Message);
        Assert.Contains("--dense-weight W", e.Message);
        // The same weights made into vectors another way (CLS pooling, whole documents): refused too, naming how.
        var otherWay = tuned with { EmbedderVectors = "cls pooling, normalised, max 256 tokens, whole documents" };
        var how = Assert.Throws<InvalidInputException>(() => FirstStages.Open(bm25, "hybrid", hybridOptions: otherWay.ToHybridOptions()));
        Assert.Contains($"tuned over vectors of {info.Model} ({info.Fingerprint}; cls pooling, normalised, max 256 tokens, whole documents)", how.Message);
        // Recorded as this index made them: accepted.
        using (FirstStages.Open(bm25, "hybrid", encoderOptions: new BiEncoderOptions { Device = "cpu" },
                   hybridOptions: (tuned with { EmbedderVectors = FusionSettings.VectorsOf(info) }).ToHybridOptions())) { }
        // A stage that does not fuse does not use the weight, so nothing is refused.
        using var dense = FirstStages.Open(bm25, "dense", hybridOptions: other.ToHybridOptions());
        Assert.Equal("dense", dense.Kind);
    }

    [Fact]
    public void Hybrid_TunedFusionOverOtherVectors_RefusesEachSearch_AsAfterARebuildWithAnotherEmbedder()
    {
        // FirstStages.Open refuses this at open; a searcher opened before the index was rebuilt by another embedder meets it
        // at search time, which this searcher, given the mismatch directly, shows.
        using var bm25 = Bm25Searcher.Open(fixture.Index);
        var tuned = new FusionSettings(FusionSettings.MinMax, 0.8, "other-model", "00ff", null);
        var hybrid = new HybridSearcher(bm25, new DenseSearcher(bm25, fixture.Encoder), tuned.ToHybridOptions());

        var e = Assert.Throws<EmbedderReloadException>(() => hybrid.Search("why does dough rise", 3));

        Assert.Contains($"was rebuilt with vectors of {bm25.Manifest.Embeddings!.Model} ({bm25.Manifest.Embeddings.Fingerprint}; ", e.Message);
        Assert.Contains("tuned over vectors of other-model (00ff). Restart search-host", e.Message);
        var matching = new HybridSearcher(bm25, new DenseSearcher(bm25, fixture.Encoder),
            (tuned with { Embedder = bm25.Manifest.Embeddings.Model, EmbedderFingerprint = bm25.Manifest.Embeddings.Fingerprint }).ToHybridOptions());
        Assert.Equal("cook-1", matching.Search("why does dough rise", 1)[0].DocId);
    }

    [Fact]
    public void FirstStages_IndexRebuiltAtInt8_QueriesWithAnInt8EmbedderLoadedForIt()
    {
        using var folder = new TempFolder("dense-reprecision");
        var index = folder.Combine("idx");
        IndexBuilder.Build(DenseIndexFixture.Documents, index, new IndexOptions(Embedder: fixture.Encoder));
        using var bm25 = Bm25Searcher.Open(index);
        using var stages = FirstStages.Open(bm25, "dense");
        Assert.Equal(Precision.Fp32, stages.Dense!.Encoder.Precision);
        Assert.Equal("sea-1", stages.Chosen.Rank("the moon pulls the oceans", 1)[0].DocId);
        EmbedderReloadedEventArgs? reloaded = null;
        stages.Dense.EncoderReloaded += (_, e) => reloaded = e;
        using (var int8 = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu", Precision = Precision.Int8 }))
            IndexBuilder.Build(DenseIndexFixture.Documents, index, new IndexOptions(Embedder: int8, Overwrite: true));

        // The moon document is still the one about the moon; before, every query failed with "precision fp32 vs int8".
        Assert.Equal("sea-1", stages.Chosen.Rank("the moon pulls the oceans", 1)[0].DocId);
        Assert.Equal("cook-1", stages.Chosen.Rank("why does dough rise", 1)[0].DocId);
        Assert.Equal(Precision.Int8, stages.Dense.Encoder.Precision);
        Assert.Equal((Precision.Fp32, Precision.Int8), (reloaded!.Previous.Precision, reloaded.Encoder.Precision));
    }

    [Fact]
    public void FirstStages_IndexRebuiltAtInt8_OnTheTorchSharpEngine_SaysToRestart()
    {
        using var folder = new TempFolder("dense-reprecision-torch");
        var index = folder.Combine("idx");
        IndexBuilder.Build(DenseIndexFixture.Documents, index, new IndexOptions(Embedder: fixture.Encoder));
        using var bm25 = Bm25Searcher.Open(index);
        using var stages = FirstStages.Open(bm25, "dense", encoderOptions: new BiEncoderOptions { Device = "cpu", Engine = InferenceEngine.TorchSharp });
        Assert.Equal("sea-1", stages.Chosen.Rank("the moon pulls the oceans", 1)[0].DocId);
        using (var int8 = BiEncoder.LoadBundled(new BiEncoderOptions { Device = "cpu", Precision = Precision.Int8 }))
            IndexBuilder.Build(DenseIndexFixture.Documents, index, new IndexOptions(Embedder: int8, Overwrite: true));

        var e = Assert.Throws<EmbedderReloadException>(() => stages.Chosen.Rank("the moon pulls the oceans", 1));
        Assert.Contains("int8", e.Message);
        Assert.Contains("Restart search-host", e.Message);
    }

    [Fact]
    public void EmbedMany_CancelledToken_StopsBeforeAnyBatch_UncancelledEqualsThePlainCall()
    {
        var texts = DenseIndexFixture.Documents.Select(d => DocumentText.Join(d.Title, d.Text)).ToList();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => fixture.Encoder.EmbedMany(texts, cancelled.Token));
        Assert.Equal(fixture.Encoder.EmbedMany(texts), fixture.Encoder.EmbedMany(texts, CancellationToken.None));
    }

    [Fact]
    public void Delete_IndexWithVectors_NeedsNoEmbedderAndDropsTheVector()
    {
        using var folder = new TempFolder("dense-delete");
        var index = folder.Combine("idx");
        IndexBuilder.Build(DenseIndexFixture.Documents, index, new IndexOptions(Embedder: fixture.Encoder));
        var before = ReadRawVectors(index, fixture.Encoder.Dimension, out _);

        IndexUpdater.Delete(index, ["z9"], new IndexUpdateOptions());

        var after = ReadRawVectors(index, fixture.Encoder.Dimension, out var count);
        Assert.Equal(7, count);
        using var bm25 = Bm25Searcher.Open(index);
        var ids = bm25.DocumentIdsInOrder();
        var dim = fixture.Encoder.Dimension;
        var oldRow = DenseIndexFixture.Documents.Select((d, i) => (d.Id, i)).ToDictionary(p => p.Id, p => p.i);
        for (var row = 0; row < count; row++)
            Assert.Equal(before.AsSpan(oldRow[ids[row]] * dim, dim).ToArray(), after.AsSpan(row * dim, dim).ToArray());
    }

    [Fact]
    public void Update_IndexWithVectorsWithoutEmbedder_RefusedForAdditions()
    {
        var e = Assert.Throws<InvalidInputException>(() => IndexUpdater.AddOrReplace(fixture.Index, [new("x", "", "text")], new IndexUpdateOptions()));
        Assert.Equal($"Index '{fixture.Index}' keeps document vectors ({fixture.Encoder.ModelName}), so added and replaced documents must be embedded, but no embedder was given. "
            + "Omit --embedder to use the one the index records, or pass that same model.", e.Message);
    }

    [Fact]
    public void Filters_DenseHybridAndReranking_SeeOnlyMatchingDocumentsAndFilterBeforeTheirCuts()
    {
        using var folder = new TempFolder("dense-filter");
        var index = folder.Combine("idx");
        // Every other document is "en"; the others "de".
        var docs = DenseIndexFixture.Documents.Select((d, i) => d with
        {
            Fields = new Dictionary<string, System.Text.Json.JsonElement> { ["lang"] = System.Text.Json.JsonSerializer.SerializeToElement(i % 2 == 0 ? "en" : "de") },
        }).ToArray();
        var english = docs.Where((_, i) => i % 2 == 0).Select(d => d.Id).ToHashSet();
        IndexBuilder.Build(docs, index, new IndexOptions(Embedder: fixture.Encoder));
        using var bm25 = Bm25Searcher.Open(index);
        var dense = new DenseSearcher(bm25, fixture.Encoder);
        var filter = DocumentFilter.Parse(["lang=en"]);
        const string query = "how long does immunity from vaccines last?";

        // Dense: the full unfiltered ranking with the predicate applied, then cut.
        var denseReference = dense.Rank(query, 100).Where(r => english.Contains(r.DocId)).Take(3).Select(r => (r.DocId, r.Score));
        Assert.Equal(denseReference, dense.Rank(query, 3, filter).Select(r => (r.DocId, r.Score)));
        Assert.Equal(denseReference.Select(r => r.DocId), dense.Search(query, 3, filter).Select(h => h.DocId));

        // Hybrid with depth 2: each stage's best 2 matching documents are fused, not its best 2 filtered afterwards.
        var hybrid = new HybridSearcher(bm25, dense, new HybridOptions { Depth = 2 });
        var bm25Matching = bm25.Rank(query, 100).Where(r => english.Contains(r.DocId)).Take(2).Select((r, i) => r with { Rank = i + 1 }).ToList();
        var denseMatching = dense.Rank(query, 100).Where(r => english.Contains(r.DocId)).Take(2).Select((r, i) => r with { Rank = i + 1 }).ToList();
        var expected = Fusion.WeightedMinMax([(bm25Matching, 1 - HybridOptions.DefaultDenseWeight), (denseMatching, HybridOptions.DefaultDenseWeight)]);
        var fused = hybrid.Rank(query, 2, filter);
        Assert.Equal(expected.Take(2).Select(r => (r.DocId, r.Score)), fused.Select(r => (r.DocId, r.Score)));

        // Reranking a filtered first stage: every candidate and every hit is "en"; all 4 "en" documents come back.
        using var encoder = CrossEncoder.Load(Path.Combine(TestPaths.RepoRoot, "models", "default-reranker"), new CrossEncoderOptions { Device = "cpu" });
        var reranker = new RerankingSearcher(DocumentFilter.Filtered(new HybridSearcher(bm25, dense), filter), encoder, new RerankOptions { Candidates = 8 });
        var reranked = reranker.Search(query, 8);
        Assert.Equal(english.Order(StringComparer.Ordinal), reranked.Select(h => h.DocId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RankVector_ManyDocumentsWithManyTies_EqualsAFullSortForEveryDepth()
    {
        // 3,000 documents whose vectors are small integers on one of 11 axes, so every inner product is an exact integer and
        // hundreds of documents tie; ids in no particular order. The top k must be a full sort's first k: higher score first,
        // equal scores by id descending in byte order (trec_eval's strcmp rule; the ids are ASCII, so ordinal order).
        using var folder = new TempFolder("dense-ties");
        const int count = 3000;
        var dim = fixture.Encoder.Dimension;
        var ids = Enumerable.Range(0, count).Select(i => $"d{(i * 7919) % 4001:x}-{i % 13}").ToArray();
        var index = folder.Combine("idx");
        IndexBuilder.Build(ids.Select(id => new CorpusDocument(id, "", "text of " + id)), index, new IndexOptions());
        var rows = new float[count][];
        for (var i = 0; i < count; i++)
        {
            rows[i] = new float[dim];
            rows[i][i % 11] = i % 4;
        }
        var manifest = IndexManifest.Read(index);
        var info = DocumentVectors.WriteRows(index, EmbeddingInfo.For(fixture.Encoder, count, 0), count, i => rows[i]);
        (manifest with { Embeddings = info }).Write(index);
        using var bm25 = Bm25Searcher.Open(index);
        var dense = new DenseSearcher(bm25, fixture.Encoder);
        var query = new float[dim];
        for (var d = 0; d < 11; d++) query[d] = d % 3;

        var expected = Enumerable.Range(0, count)
            .Select(i => (Id: ids[i], Score: (i % 4) * (double)((i % 11) % 3)))
            .OrderByDescending(e => e.Score)
            .ThenBy(e => e.Id, Comparer<string>.Create((a, b) => string.CompareOrdinal(b, a)))
            .ToList();
        foreach (var k in new[] { 1, 7, 100, 999, count, count + 5 })
        {
            var ranked = dense.RankVector(query, k);
            Assert.Equal(expected.Take(k).Select(e => e.Id), ranked.Select(r => r.DocId));
            Assert.Equal(expected.Take(k).Select(e => e.Score), ranked.Select(r => (double)r.Score));
            Assert.Equal(Enumerable.Range(1, Math.Min(k, count)), ranked.Select(r => r.Rank));
        }
    }
}
