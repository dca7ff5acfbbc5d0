namespace Rerank.Lucene.Output;

/// <summary>
/// The kinds of user-visible output this library writes. Each writer replaces an existing path only
/// when it holds output of the same kind (see <see cref="OutputTarget"/>) and the caller allowed it.
/// </summary>
public enum OutputKind
{
    /// <summary>A Hugging Face model folder (<c>config.json</c>, weights, tokenizer files, model card).</summary>
    ModelFolder,

    /// <summary>A SearchRerank index folder (Lucene segments and <c>searchrerank-index.json</c>).</summary>
    Index,

    /// <summary>A TREC run file (<c>qid Q0 docid rank score tag</c> per line).</summary>
    RunFile,

    /// <summary>A JSONL file of mined training groups (<c>rerank-train --write-mined</c>).</summary>
    MinedFile,
}
