namespace Rerank.Lucene.Modeling;

/// <summary>How <see cref="BertModelFolder.Save"/> writes a Hugging Face model folder.</summary>
internal sealed record BertFolderSaveOptions
{
    /// <summary>The WordPiece vocabulary to copy as <c>vocab.txt</c> (required: a folder without it cannot tokenize).</summary>
    public required string VocabPath { get; init; }

    /// <summary>Store weights as float16 (half the size; default false: float32).</summary>
    public bool Float16 { get; init; }

    /// <summary><c>model_max_length</c> in tokenizer_config.json (default 512).</summary>
    public int ModelMaxLength { get; init; } = 512;

    /// <summary>Replace an existing folder (default false: fail when the target exists).</summary>
    public bool Overwrite { get; init; }
}
