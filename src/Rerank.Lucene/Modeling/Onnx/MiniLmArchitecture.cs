namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// The sizes of the bundled encoder (all-MiniLM-L6-v2, a Hugging Face <c>BertModel</c> with
/// its pooler) and the checkpoint keys and shapes such a model has, in Hugging Face layout
/// (linear weights [out, in]).
/// </summary>
internal sealed record MiniLmArchitecture(
    int VocabSize,
    int HiddenSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    int IntermediateSize,
    int MaxPositionEmbeddings,
    int TypeVocabSize)
{
    /// <summary>all-MiniLM-L6-v2: 6 layers, hidden 384, 12 heads, intermediate 1536, vocab 30522, 512 positions, 2 token types.</summary>
    public static MiniLmArchitecture MiniLmL6 { get; } = new(30522, 384, 6, 12, 1536, 512, 2);

    /// <summary>The size of one attention head.</summary>
    public int HeadSize => HiddenSize / NumAttentionHeads;

    /// <summary>Every key of a Hugging Face <c>BertModel</c> state dict (pooler included) with its shape.</summary>
    public IReadOnlyDictionary<string, long[]> ExpectedShapes()
    {
        long h = HiddenSize, i = IntermediateSize;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            ["embeddings.word_embeddings.weight"] = [VocabSize, h],
            ["embeddings.position_embeddings.weight"] = [MaxPositionEmbeddings, h],
            ["embeddings.token_type_embeddings.weight"] = [TypeVocabSize, h],
            ["embeddings.LayerNorm.weight"] = [h],
            ["embeddings.LayerNorm.bias"] = [h],
            ["pooler.dense.weight"] = [h, h],
            ["pooler.dense.bias"] = [h],
        };
        for (var layer = 0; layer < NumHiddenLayers; layer++)
        {
            var p = $"encoder.layer.{layer}.";
            foreach (var linear in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                shapes[p + linear + ".weight"] = [h, h];
                shapes[p + linear + ".bias"] = [h];
            }
            shapes[p + "attention.output.LayerNorm.weight"] = [h];
            shapes[p + "attention.output.LayerNorm.bias"] = [h];
            shapes[p + "intermediate.dense.weight"] = [i, h];
            shapes[p + "intermediate.dense.bias"] = [i];
            shapes[p + "output.dense.weight"] = [h, i];
            shapes[p + "output.dense.bias"] = [h];
            shapes[p + "output.LayerNorm.weight"] = [h];
            shapes[p + "output.LayerNorm.bias"] = [h];
        }
        return shapes;
    }
}
