using Rerank.Lucene.Modeling;
using Rerank.Lucene.Tests.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Modeling;

[Collection(TorchCollection.Name)]
public sealed class BertModelTests
{
    private static readonly string[] LayerKeys =
    [
        "attention.self.query.weight", "attention.self.query.bias",
        "attention.self.key.weight", "attention.self.key.bias",
        "attention.self.value.weight", "attention.self.value.bias",
        "attention.output.dense.weight", "attention.output.dense.bias",
        "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
        "intermediate.dense.weight", "intermediate.dense.bias",
        "output.dense.weight", "output.dense.bias",
        "output.LayerNorm.weight", "output.LayerNorm.bias",
    ];

    /// <summary>The state-dict keys of Hugging Face's BertForSequenceClassification with 2 layers.</summary>
    private static readonly string[] HuggingFaceKeys =
    [
        "bert.embeddings.word_embeddings.weight",
        "bert.embeddings.position_embeddings.weight",
        "bert.embeddings.token_type_embeddings.weight",
        "bert.embeddings.LayerNorm.weight",
        "bert.embeddings.LayerNorm.bias",
        .. LayerKeys.Select(k => "bert.encoder.layer.0." + k),
        .. LayerKeys.Select(k => "bert.encoder.layer.1." + k),
        "bert.pooler.dense.weight",
        "bert.pooler.dense.bias",
        "classifier.weight",
        "classifier.bias",
    ];

    [Fact]
    public void StateDict_TwoLayerClassifier_EqualsHuggingFaceKeys()
    {
        using var model = TinyBert.Classifier();

        Assert.Equal(HuggingFaceKeys.Order(StringComparer.Ordinal), model.state_dict().Keys.Order(StringComparer.Ordinal));
        Assert.Equal([1L, 32L], model.state_dict()["classifier.weight"].shape);
        Assert.Equal([64L, 32L], model.state_dict()["bert.encoder.layer.1.intermediate.dense.weight"].shape);
    }

    [Fact]
    public void Forward_Classifier_ReturnsOneLogitPerPair()
    {
        using var model = TinyBert.Classifier();
        var (ids, types, mask) = TinyBert.Batch();

        using var logits = model.forward(ids, types, mask);

        Assert.Equal([2L, 1L], logits.shape);
        Assert.Equal(ScalarType.Float32, logits.dtype);
    }

    [Fact]
    public void SelfAttention_PaddedBatch_MatchesHandWrittenAttention()
    {
        manual_seed(11);
        var config = TinyBert.Config();
        using var attention = new BertSelfAttention(config);
        attention.eval();
        using var hidden = randn(2, 6, 32);
        var (_, _, mask) = TinyBert.Batch();
        using var keyMask = mask.to(ScalarType.Bool).view(2, 1, 1, 6);

        using var actual = attention.forward(hidden, keyMask);

        // Reference: per head, softmax(q k^T / sqrt(d) with padded keys at -inf) v.
        var w = attention.state_dict();
        Tensor Project(string name) => (hidden.matmul(w[name + ".weight"].t()) + w[name + ".bias"]).view(2, 6, 4, 8).transpose(1, 2);
        var scores = Project("query").matmul(Project("key").transpose(-1, -2)) / Math.Sqrt(8);
        scores = scores.masked_fill(mask.eq(0).view(2, 1, 1, 6), double.NegativeInfinity);
        var expected = scores.softmax(-1).matmul(Project("value")).transpose(1, 2).reshape(2, 6, 32);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-6), $"max diff {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Forward_PaddedSequence_RealTokensMatchUnpadded()
    {
        using var model = TinyBert.Classifier();
        var (ids, types, mask) = TinyBert.Batch();

        using var padded = model.Bert.forward(ids, types, mask);
        using var alone = model.Bert.forward(ids[1..2, ..4], types[1..2, ..4], null);
        using var paddedLogits = model.forward(ids, types, mask);
        using var aloneLogits = model.forward(ids[1..2, ..4], types[1..2, ..4], null);

        Assert.True(padded[1..2, ..4].allclose(alone, rtol: 1e-5, atol: 1e-5));
        Assert.True(paddedLogits[1..2].allclose(aloneLogits, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Intermediate_GeluVariants_MatchTheirFormulas()
    {
        manual_seed(5);
        using var exact = new BertIntermediate(TinyBert.Config() with { HiddenAct = "gelu" });
        using var tanhApprox = new BertIntermediate(TinyBert.Config() with { HiddenAct = "gelu_new" });
        tanhApprox.load_state_dict(exact.state_dict());
        using var x = randn(3, 32) * 3;

        var w = exact.state_dict();
        var y = x.matmul(w["dense.weight"].t()) + w["dense.bias"];
        var expectedExact = 0.5 * y * (1 + special.erf(y / Math.Sqrt(2)));
        var expectedTanh = 0.5 * y * (1 + (Math.Sqrt(2 / Math.PI) * (y + 0.044715 * y.pow(3))).tanh());
        using var actualExact = exact.forward(x);
        using var actualTanh = tanhApprox.forward(x);

        Assert.True(actualExact.allclose(expectedExact, rtol: 1e-5, atol: 1e-6));
        Assert.True(actualTanh.allclose(expectedTanh, rtol: 1e-5, atol: 1e-6));
        Assert.True((actualExact - actualTanh).abs().max().item<float>() > 1e-5f);
    }

    [Fact]
    public void Output_LayerNormEps_IsHonoured()
    {
        manual_seed(9);
        const double eps = 0.5;
        using var output = new BertOutput(TinyBert.Config() with { LayerNormEps = eps });
        output.eval();
        using var intermediate = randn(2, 64);
        using var input = randn(2, 32);

        using var actual = output.forward(intermediate, input);

        var w = output.state_dict();
        var h = intermediate.matmul(w["dense.weight"].t()) + w["dense.bias"] + input;
        var mean = h.mean([-1], keepdim: true);
        var variance = (h - mean).pow(2).mean([-1], keepdim: true);
        var expected = (h - mean) / (variance + eps).sqrt();
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void UseBFloat16_Classifier_StaysCloseToFloat32()
    {
        using var model = TinyBert.Classifier();
        var (ids, types, mask) = TinyBert.Batch();
        using var fp32 = model.forward(ids, types, mask);

        model.UseBFloat16();
        using var bf16 = model.forward(ids, types, mask);

        Assert.Equal(ScalarType.Float32, bf16.dtype);
        Assert.True(fp32.allclose(bf16, rtol: 0.05, atol: 0.05), $"{fp32.data<float>()[0]} vs {bf16.data<float>()[0]}");
    }

    [Fact]
    public void Forward_ManyCalls_LeaveNoLiveTensors()
    {
        using var model = TinyBert.Classifier();
        var (ids, types, mask) = TinyBert.Batch();
        using (var warm = model.forward(ids, types, mask)) { }
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        for (var i = 0; i < 5; i++)
        {
            using var logits = model.forward(ids, types, mask);
        }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
