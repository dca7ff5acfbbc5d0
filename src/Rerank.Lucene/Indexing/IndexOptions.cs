namespace Rerank.Lucene.Indexing;

/// <summary>Settings for <see cref="IndexBuilder.Build"/>; they are recorded in the <see cref="IndexManifest"/>
/// so that searching and training use the same values without being told.</summary>
/// <param name="K1">BM25 term-frequency saturation. Default 0.9, the value behind the published
/// Anserini/BEIR BM25 numbers (Lucene's own BM25 default is 1.2). Must be finite and non-negative.</param>
/// <param name="B">BM25 length normalisation, 0 (none) to 1 (full). Default 0.4, the Anserini/BEIR value
/// (Lucene's own default is 0.75).</param>
/// <param name="FieldsMode">How title and text are indexed. Default <see cref="Indexing.FieldsMode.Flat"/>,
/// which scores slightly better on BEIR (Anserini: SciFact 0.679 flat vs 0.665 multifield).</param>
/// <param name="Overwrite">Whether an existing index in the target folder may be replaced. Default false,
/// so a typo in a path never destroys an index. Even with true, a non-empty folder that is not a
/// SearchRerank index is never replaced.</param>
/// <param name="Source">A description of where the documents came from, recorded in the manifest
/// (e.g. the corpus path). Null: taken from the <see cref="CorpusReader"/> sequence when the documents
/// come from one, else "in-memory documents".</param>
/// <param name="Embedder">A bi-encoder that embeds every document (<see cref="Reranking.DocumentText.Join"/> of title and
/// text, as the cross-encoder reads it) into a vector store kept in the index folder, for dense and hybrid retrieval.
/// Default null: no vectors (BM25 only; fast). The caller owns and disposes it. The forward pass dominates: SciFact embedded whole
/// (most documents cut at 256 tokens) at 2.6 documents per second on 2 shared, heavily loaded CPU cores, and as the default passages
/// (15,575 of them) at 11.8 documents per second with ONNX Runtime on the same 2 cores lightly loaded (see docs/BENCHMARKS.md;
/// the same model runs about 28 sequences of 256 tokens per second on 2 idle cores).</param>
/// <param name="KeepFields">Which kept fields (<see cref="CorpusDocument.Fields"/>) the index keeps, recorded in
/// <see cref="IndexManifest.KeepFields"/> so that updates keep the same ones. Null (the default): the selection the documents
/// were read with when they come from <see cref="CorpusReader.ReadJsonl"/> (its <see cref="CorpusReaderOptions.KeepFields"/>),
/// else every field. Empty: none. Names: only those, and each must occur in at least one document (a name no document has is
/// refused as a likely typo).</param>
/// <param name="EmbedPassages">How the <paramref name="Embedder"/> embeds documents: <see cref="Reranking.PassageOptions.WholeDocument"/>
/// (one vector per document, cut at the embedder's max length: first passage) or <see cref="Reranking.PassageMode.Max"/> with a
/// window and stride (the cross-encoder's splitter; every passage embedded, a document scored by its best passage: MaxP, recorded as
/// <see cref="Embedding.EmbeddingInfo.Passages"/>). Sum is refused. Null (the default): <see cref="Embedding.PassageEmbedding.Default"/>.
/// A passage mode without an embedder is refused.</param>
public sealed record IndexOptions(
    float K1 = 0.9f,
    float B = 0.4f,
    FieldsMode FieldsMode = FieldsMode.Flat,
    bool Overwrite = false,
    string? Source = null,
    Embedding.BiEncoder? Embedder = null,
    IReadOnlyList<string>? KeepFields = null,
    Reranking.PassageOptions? EmbedPassages = null);
