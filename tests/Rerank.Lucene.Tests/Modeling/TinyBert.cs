using Rerank.Lucene.Modeling;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Modeling;

/// <summary>A tiny BERT for fast tests: 2 layers, hidden 32, 4 heads, intermediate 64, vocabulary 100.</summary>
internal static class TinyBert
{
    public static BertConfig Config(int numLabels = 1) => new()
    {
        VocabSize = 100,
        HiddenSize = 32,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        IntermediateSize = 64,
        MaxPositionEmbeddings = 16,
        Labels = Enumerable.Range(0, numLabels).Select(i => $"LABEL_{i}").ToList(),
        Activation = numLabels == 1 ? ScoreActivation.Sigmoid : ScoreActivation.Identity,
    };

    /// <summary>A seeded random classification model in eval mode.</summary>
    public static BertForSequenceClassification Classifier(long seed = 7, BertConfig? config = null)
    {
        manual_seed(seed);
        var model = new BertForSequenceClassification(config ?? Config());
        model.eval();
        return model;
    }

    /// <summary>Two sequences: [CLS] 5 6 7 8 [SEP] (length 6) and [CLS] 9 10 [SEP] padded to 6.</summary>
    public static (Tensor Ids, Tensor Types, Tensor Mask) Batch()
    {
        var ids = tensor(new long[] { 2, 5, 6, 7, 8, 3, 2, 9, 10, 3, 0, 0 }, [2, 6]);
        var types = tensor(new long[] { 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0 }, [2, 6]);
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, 6]);
        return (ids, types, mask);
    }

    /// <summary>A 100-line vocabulary file (tokens t0..t99 with BERT's specials first).</summary>
    public static string WriteVocab(string dir)
    {
        var path = Path.Combine(dir, "vocab-src.txt");
        var tokens = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Enumerable.Range(5, 95).Select(i => $"t{i}"));
        File.WriteAllLines(path, tokens);
        return path;
    }
}
