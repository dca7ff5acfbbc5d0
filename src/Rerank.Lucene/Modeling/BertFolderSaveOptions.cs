namespace Rerank.Lucene.Modeling;

/// <summary>How <see cref="BertModelFolder.Save"/> writes a Hugging Face model folder.</summary>
internal sealed record BertFolderSaveOptions
{
    /// <summary>The tokenizer whose vocabulary (<c>vocab.txt</c>) and settings (<c>tokenizer_config.json</c>) are written.</summary>
    public required Tokenization.BertPairEncoder Tokenizer { get; init; }

    /// <summary>Store weights as float16 (half the size; default false: float32).</summary>
    public bool Float16 { get; init; }

    /// <summary>
    /// <c>model_max_length</c> in tokenizer_config.json (default 512): the pair length the folder is meant to be
    /// scored at, since sentence-transformers' CrossEncoder truncates to it.
    /// </summary>
    public int ModelMaxLength { get; init; } = 512;

    /// <summary>Replace an existing folder (default false: fail when the target exists).</summary>
    public bool Overwrite { get; init; }
}
