using Rerank.Training.Trainer;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Training.Trainer;

/// <summary>
/// A tiny BERT-shaped cross-encoder for trainer tests (Hugging Face names, dropout 0.1, fused
/// attention, a [CLS] classifier), standing in for the modeling branch's model. Size parameters
/// let the memory measurement build a MiniLM-sized copy.
/// </summary>
internal sealed class TinyCrossEncoder : nn.Module, ITrainableCrossEncoder
{
    private readonly TorchSharp.Modules.Embedding word_embeddings;
    private readonly TorchSharp.Modules.Embedding position_embeddings;
    private readonly TorchSharp.Modules.Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly ModuleList<TinyLayer> layer;
    private readonly Linear classifier;
    private readonly double _dropout;

    public TinyCrossEncoder(int vocab = 64, int hidden = 32, int layers = 2, int heads = 2, int intermediate = 64, int maxPositions = 64, double dropout = 0.1)
        : base("TinyCrossEncoder")
    {
        _dropout = dropout;
        word_embeddings = nn.Embedding(vocab, hidden);
        position_embeddings = nn.Embedding(maxPositions, hidden);
        token_type_embeddings = nn.Embedding(2, hidden);
        LayerNorm = nn.LayerNorm(hidden, 1e-12);
        layer = new ModuleList<TinyLayer>(Enumerable.Range(0, layers).Select(_ => new TinyLayer(hidden, heads, intermediate, dropout)).ToArray());
        classifier = nn.Linear(hidden, 1);
        RegisterComponents();
    }

    public nn.Module Module => this;

    /// <summary>Folders passed to <see cref="SaveModelFolder"/>.</summary>
    public List<string> SavedFolders { get; } = [];

    public Tensor Logits(EncodedPairBatch batch, Device device, TrainingPrecision precision)
    {
        using var scope = NewDisposeScope();
        var shape = new long[] { batch.Rows, batch.Length };
        var ids = tensor(batch.InputIds, shape, device: device);
        var mask = tensor(batch.AttentionMask, shape, device: device);
        var types = tensor(batch.TokenTypeIds, shape, device: device);
        var positions = arange(batch.Length, device: device).unsqueeze(0);
        var x = word_embeddings.call(ids) + position_embeddings.call(positions) + token_type_embeddings.call(types);
        x = nn.functional.dropout(LayerNorm.call(x), _dropout, training);
        // Additive mask [rows, 1, 1, length]: 0 where attended, -1e4 on padding.
        var bias = ((1 - mask.unsqueeze(1).unsqueeze(1).to_type(ScalarType.Float32)) * -1e4f);
        foreach (var l in layer) x = l.Forward(x, bias);
        var cls = nn.functional.dropout(x.select(1, 0), _dropout, training);
        return classifier.call(cls).squeeze(-1).MoveToOuterDisposeScope();
    }

    public void SaveModelFolder(string folder, bool float16, bool overwrite)
    {
        SavedFolders.Add(folder);
        CrossEncoderTrainer.SaveWeights(Path.Combine(folder, "model.safetensors"), this);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{\"model_type\":\"tiny\"}");
    }

    /// <summary>All floating-point state as one flat array, in state-dict order.</summary>
    public float[] FlatWeights() =>
        state_dict().Where(kv => kv.Value.is_floating_point()).SelectMany(kv => kv.Value.detach().cpu().data<float>().ToArray()).ToArray();
}

/// <summary>One post-LayerNorm transformer layer with BERT's structure.</summary>
internal sealed class TinyLayer : nn.Module
{
    private readonly Linear query, key, value, attention_output, intermediate, output;
    private readonly LayerNorm attention_LayerNorm, output_LayerNorm;
    private readonly int _heads;
    private readonly double _dropout;

    public TinyLayer(int hidden, int heads, int intermediateSize, double dropout) : base("TinyLayer")
    {
        _heads = heads;
        _dropout = dropout;
        query = nn.Linear(hidden, hidden);
        key = nn.Linear(hidden, hidden);
        value = nn.Linear(hidden, hidden);
        attention_output = nn.Linear(hidden, hidden);
        attention_LayerNorm = nn.LayerNorm(hidden, 1e-12);
        intermediate = nn.Linear(hidden, intermediateSize);
        output = nn.Linear(intermediateSize, hidden);
        output_LayerNorm = nn.LayerNorm(hidden, 1e-12);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor maskBias)
    {
        var (b, l, h) = (x.shape[0], x.shape[1], x.shape[2]);
        Tensor Heads(Tensor t) => t.view(b, l, _heads, h / _heads).transpose(1, 2);
        var context = nn.functional.scaled_dot_product_attention(Heads(query.call(x)), Heads(key.call(x)), Heads(value.call(x)), maskBias, training ? _dropout : 0.0, false);
        context = context.transpose(1, 2).reshape(b, l, h);
        var attended = attention_LayerNorm.call(x + nn.functional.dropout(attention_output.call(context), _dropout, training));
        var ffn = output.call(nn.functional.gelu(intermediate.call(attended)));
        return output_LayerNorm.call(attended + nn.functional.dropout(ffn, _dropout, training));
    }
}
