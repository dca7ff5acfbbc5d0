using Rerank.Lucene.Modeling;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Reranking;

/// <summary>
/// A tiny seeded cross-encoder folder (2 layers, hidden 32, 64 positions) whose vocabulary is single
/// characters and their ## continuations, so any English text tokenizes into varied ids and lengths.
/// Its head is random but marked trained: a stand-in for a trained model in tests of the plumbing.
/// </summary>
internal static class TinyCrossEncoder
{
    public const int MaxPositions = 64;

    public static IReadOnlyList<string> Vocabulary { get; } = BuildVocabulary();

    public static BertConfig Config(int numLabels = 1) => new()
    {
        VocabSize = Vocabulary.Count,
        HiddenSize = 32,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        IntermediateSize = 64,
        MaxPositionEmbeddings = MaxPositions,
        Labels = Enumerable.Range(0, numLabels).Select(i => $"LABEL_{i}").ToList(),
        Activation = numLabels == 1 ? ScoreActivation.Sigmoid : ScoreActivation.Identity,
    };

    /// <summary>Writes the model folder into a new temporary folder and returns its path.</summary>
    public static string Create(long seed = 11, int numLabels = 1, bool trainedHead = true)
    {
        var dir = TestPaths.NewTempDir("tiny-ce");
        var vocab = Path.Combine(dir, "vocab-src.txt");
        File.WriteAllLines(vocab, Vocabulary);
        manual_seed(seed);
        using var model = new BertForSequenceClassification(Config(numLabels));
        if (trainedHead) model.MarkHeadTrained();
        var folder = Path.Combine(dir, "model");
        BertModelFolder.Save(folder, model, new BertFolderSaveOptions { Tokenizer = new Rerank.Lucene.Tokenization.BertPairEncoder(vocab), ModelMaxLength = MaxPositions });
        return folder;
    }

    private static List<string> BuildVocabulary()
    {
        var tokens = new List<string> { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
        var chars = "abcdefghijklmnopqrstuvwxyz0123456789".ToCharArray();
        tokens.AddRange(chars.Select(c => c.ToString()));
        tokens.AddRange(chars.Select(c => "##" + c));
        tokens.AddRange(".,?!:;'\"()-/".Select(c => c.ToString()));
        return tokens;
    }
}
