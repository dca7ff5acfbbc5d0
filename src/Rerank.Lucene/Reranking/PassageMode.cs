namespace Rerank.Lucene.Reranking;

/// <summary>
/// How a document longer than the cross-encoder's window gets one score (Dai and Callan, "Deeper Text
/// Understanding for IR with Contextual Neural Language Modeling", SIGIR 2019: BERT-FirstP, -MaxP, -SumP).
/// </summary>
public enum PassageMode
{
    /// <summary>
    /// The whole document as one pair, which the model truncates at its max length: in effect the first
    /// passage it can read (BERT-FirstP). One pair per document; the default unless a model's settings say otherwise.
    /// </summary>
    First,

    /// <summary>
    /// The document split into overlapping word windows (<see cref="PassageOptions"/>), each scored with the
    /// query; the document gets the highest passage score (BERT-MaxP).
    /// </summary>
    Max,

    /// <summary>As <see cref="Max"/>, but the document gets the sum of its passage scores (BERT-SumP): favours long documents.</summary>
    Sum,
}
