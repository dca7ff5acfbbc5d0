namespace Rerank.Lucene.Modeling;

/// <summary>
/// The state-dict keys and shapes of Hugging Face's BERT classes, computed from config.json alone: what
/// <see cref="BertModel"/> and <see cref="BertForSequenceClassification"/> hold, without building them (no TorchSharp,
/// no libtorch). With <see cref="StrictWeightLoader.Check"/> it gives weights bound for ONNX Runtime the same strict
/// checks (missing, unexpected, mis-shaped keys) as loading them into the TorchSharp module.
/// </summary>
internal static class BertWeightLayout
{
    /// <summary>
    /// The keys and shapes of a bare <c>BertModel</c> (un-prefixed: <c>embeddings.*</c>, <c>encoder.layer.N.*</c>,
    /// <c>pooler.*</c>). Shapes are torch's: a Linear weight is [out, in].
    /// </summary>
    /// <param name="config">A validated BERT configuration.</param>
    public static Dictionary<string, long[]> BertModel(BertConfig config) => Encoder(config, "");

    /// <summary>
    /// The keys and shapes of <c>BertForSequenceClassification</c>: <c>bert.</c>-prefixed <see cref="BertModel"/> keys,
    /// <c>classifier.weight</c> [num_labels, hidden] and <c>classifier.bias</c> [num_labels].
    /// </summary>
    /// <param name="config">A validated BERT configuration.</param>
    public static Dictionary<string, long[]> ForSequenceClassification(BertConfig config)
    {
        var keys = Encoder(config, "bert.");
        keys["classifier.weight"] = [config.NumLabels, config.HiddenSize];
        keys["classifier.bias"] = [config.NumLabels];
        return keys;
    }

    private static Dictionary<string, long[]> Encoder(BertConfig config, string prefix)
    {
        long h = config.HiddenSize, inter = config.IntermediateSize;
        var keys = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            [prefix + "embeddings.word_embeddings.weight"] = [config.VocabSize, h],
            [prefix + "embeddings.position_embeddings.weight"] = [config.MaxPositionEmbeddings, h],
            [prefix + "embeddings.token_type_embeddings.weight"] = [config.TypeVocabSize, h],
            [prefix + "embeddings.LayerNorm.weight"] = [h],
            [prefix + "embeddings.LayerNorm.bias"] = [h],
        };
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var p = $"{prefix}encoder.layer.{layer}.";
            foreach (var projection in new[] { "query", "key", "value" })
            {
                keys[$"{p}attention.self.{projection}.weight"] = [h, h];
                keys[$"{p}attention.self.{projection}.bias"] = [h];
            }
            keys[p + "attention.output.dense.weight"] = [h, h];
            keys[p + "attention.output.dense.bias"] = [h];
            keys[p + "attention.output.LayerNorm.weight"] = [h];
            keys[p + "attention.output.LayerNorm.bias"] = [h];
            keys[p + "intermediate.dense.weight"] = [inter, h];
            keys[p + "intermediate.dense.bias"] = [inter];
            keys[p + "output.dense.weight"] = [h, inter];
            keys[p + "output.dense.bias"] = [h];
            keys[p + "output.LayerNorm.weight"] = [h];
            keys[p + "output.LayerNorm.bias"] = [h];
        }
        keys[prefix + "pooler.dense.weight"] = [h, h];
        keys[prefix + "pooler.dense.bias"] = [h];
        return keys;
    }
}
