using Rerank.Lucene.Modeling;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Reranking;

[Collection(TorchCollection.Name)]
public sealed class CrossEncoderTests
{
    private static readonly (string Query, string Document)[] Pairs =
    [
        ("what do vaccines do?", "A vaccine trains the immune system to recognise a pathogen."),
        ("tides", "The moon pulls the oceans."),
        ("how do compilers optimise loops", "Compilers unroll loops, hoist invariant code and vectorise arithmetic where the target allows it."),
        ("bread", "Yeast ferments sugar; the gas makes dough rise."),
        ("a", "b"),
        ("why is the sky blue?", "Rayleigh scattering: shorter wavelengths scatter more strongly in the atmosphere, so blue light reaches the eye from every direction of the sky and dominates what we see during the day."),
    ];

    [Fact]
    public void Predict_SortedPaddedBatches_EqualOnePairAtATime()
    {
        var folder = TinyCrossEncoder.Create();
        using var encoder = CrossEncoder.Load(folder, new CrossEncoderOptions { BatchSize = 4, Device = "cpu" });

        var batched = encoder.Predict(Pairs);

        // Reference: each pair alone, unpadded, through the same weights, sigmoid applied by hand.
        using var model = BertModelFolder.LoadForSequenceClassification(folder, ClassifierHeadPolicy.RequireTrained);
        model.eval();
        var pairEncoder = new BertPairEncoder(Path.Combine(folder, "vocab.txt"), new BertEncoderOptions { MaxPositions = TinyCrossEncoder.MaxPositions });
        for (var i = 0; i < Pairs.Length; i++)
        {
            var e = pairEncoder.Encode(Pairs[i].Query, Pairs[i].Document, TinyCrossEncoder.MaxPositions);
            using var noGrad = no_grad();
            using var ids = tensor(e.InputIds, [1, e.Length]);
            using var types = tensor(e.TokenTypeIds, [1, e.Length]);
            using var mask = tensor(e.AttentionMask, [1, e.Length]);
            using var logit = model.forward(ids, types, mask);
            var expected = 1 / (1 + Math.Exp(-logit.item<float>()));
            Assert.Equal(expected, batched[i], 5);
        }
    }

    [Fact]
    public void Predict_DifferentBatchSizes_SameScores()
    {
        var folder = TinyCrossEncoder.Create();
        using var one = CrossEncoder.Load(folder, new CrossEncoderOptions { BatchSize = 1, Device = "cpu" });
        using var many = CrossEncoder.Load(folder, new CrossEncoderOptions { BatchSize = 64, Device = "cpu" });

        var a = one.Predict(Pairs);
        var b = many.Predict(Pairs);

        for (var i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 5);
    }

    [Fact]
    public void Predict_ScoresDependOnTheDocument()
    {
        var folder = TinyCrossEncoder.Create();
        using var encoder = CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu" });

        var scores = encoder.Predict("tides", ["The moon pulls the oceans.", "Yeast ferments sugar."]);

        Assert.NotEqual(scores[0], scores[1]);
        Assert.All(scores, s => Assert.InRange(s, 0f, 1f)); // sigmoid activation from config.json
    }

    [Fact]
    public void Load_EncoderWithoutTrainedHead_RefusesToRank()
    {
        var folder = TinyCrossEncoder.Create();
        // Turn the folder into an encoder-only checkpoint: drop the classifier and the "bert." prefix.
        var path = Path.Combine(folder, "model.safetensors");
        var weights = SafeTensors.Read(path)
            .Where(p => !p.Key.StartsWith("classifier.", StringComparison.Ordinal))
            .ToDictionary(p => p.Key["bert.".Length..], p => p.Value);
        SafeTensors.Write(path, weights, SafeTensorsDType.F32);

        var e = Assert.Throws<InvalidInputException>(() => CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu" }));

        Assert.Equal(
            $"'{path}' has no classifier head (classifier.weight, classifier.bias): it is an encoder-only checkpoint. "
            + "Ranking needs a trained cross-encoder; fine-tune this encoder first (rerank-train) or point to a cross-encoder model folder.",
            e.Message);
    }

    [Fact]
    public void Predict_TwoLabelClassifier_RefusedForRankingButScoredPerLabel()
    {
        var folder = TinyCrossEncoder.Create(numLabels: 2);
        using var encoder = CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu" });

        var e = Assert.Throws<InvalidInputException>(() => encoder.Predict([("q", "d")]));

        Assert.Equal(
            $"'{folder}' has 2 labels (LABEL_0, LABEL_1); ranking needs one score per pair. Pick the label to rank by (CrossEncoderOptions.Label in the library) or use a one-label cross-encoder; 'search-host score' prints every label.",
            e.Message);
        Assert.Equal(2, encoder.PredictLabels([("q", "d")])[0].Length);
    }

    [Fact]
    public void Load_MaxLengthBeyondPositions_Refused()
    {
        var folder = TinyCrossEncoder.Create();

        var e = Assert.Throws<InvalidInputException>(() => CrossEncoder.Load(folder, new CrossEncoderOptions { MaxLength = 65, Device = "cpu" }));

        Assert.Equal(
            $"Max length 65 is out of range for '{folder}': expected 4 to 64 (the positions the model reads). Lower --max-length.",
            e.Message);
    }

    [Fact]
    public void Load_MissingFolder_SaysWhatToPass()
    {
        var e = Assert.Throws<InvalidInputException>(() => CrossEncoder.Load("/nonexistent/model"));

        Assert.Equal(
            "Model folder '/nonexistent/model' does not exist. Pass a Hugging Face cross-encoder folder: config.json, the weights (model.safetensors, sharded safetensors or pytorch_model.bin) and the tokenizer (vocab.txt or tokenizer.json), e.g. one downloaded from the Hub or written by rerank-train.",
            e.Message);
    }

    [Fact]
    public void Predict_ThousandCalls_LeaveNoLiveTensors()
    {
        var folder = TinyCrossEncoder.Create();
        using var encoder = CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu" });
        encoder.Predict(Pairs); // warm up lazily created state

        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 1000; i++) encoder.Predict("tides", ["The moon pulls the oceans."]);
        var after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using var control = ones(1); // proves the statistic sees a tensor left alive on this thread
        var withControl = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.Equal(before, after);
        Assert.Equal(after + 1, withControl);
    }

    [Fact]
    public void Predict_ConcurrentCallers_GetTheSequentialScores()
    {
        var folder = TinyCrossEncoder.Create();
        using var encoder = CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu" });
        var expected = encoder.Predict(Pairs);

        var results = new float[8][];
        Parallel.For(0, results.Length, i => results[i] = encoder.Predict(Pairs));

        Assert.All(results, r => Assert.Equal(expected, r));
    }
}
