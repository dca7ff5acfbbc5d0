namespace Rerank.Lucene.Modeling;

/// <summary>
/// What loading a checkpoint into a <see cref="BertForSequenceClassification"/> does when the
/// checkpoint has no classifier head (<c>classifier.weight</c>, <c>classifier.bias</c>), i.e. it is
/// a bare encoder (<c>BertModel</c>) such as a pretrained MiniLM.
/// </summary>
internal enum ClassifierHeadPolicy
{
    /// <summary>Fail with a clear error. For ranking: scoring with an untrained head is meaningless.</summary>
    RequireTrained,

    /// <summary>
    /// Keep the model's current head (the caller seeds it with
    /// <see cref="BertForSequenceClassification.InitializeFreshHead"/>) and report
    /// <see cref="BertForSequenceClassification.HasTrainedHead"/> false. For fine-tuning only.
    /// </summary>
    AllowFresh,
}
