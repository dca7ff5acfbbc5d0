using Rerank.Lucene.Modeling;

namespace Rerank.Lucene.Tests.Modeling;

public sealed class BertConfigTests
{
    private const string CrossEncoderJson = """
        {
          "_name_or_path": "cross-encoder/ms-marco-MiniLM-L-6-v2",
          "architectures": ["BertForSequenceClassification"],
          "attention_probs_dropout_prob": 0.1,
          "gradient_checkpointing": false,
          "hidden_act": "gelu",
          "hidden_dropout_prob": 0.1,
          "hidden_size": 384,
          "id2label": { "0": "LABEL_0" },
          "initializer_range": 0.02,
          "intermediate_size": 1536,
          "label2id": { "LABEL_0": 0 },
          "layer_norm_eps": 1e-12,
          "max_position_embeddings": 512,
          "model_type": "bert",
          "num_attention_heads": 12,
          "num_hidden_layers": 6,
          "pad_token_id": 0,
          "position_embedding_type": "absolute",
          "sentence_transformers": { "activation_fn": "torch.nn.modules.linear.Identity", "version": "4.0.1" },
          "transformers_version": "4.48.0",
          "type_vocab_size": 2,
          "vocab_size": 30522
        }
        """;

    [Fact]
    public void Parse_CrossEncoderConfig_ReadsEveryField()
    {
        var config = BertConfig.Parse(CrossEncoderJson, "config.json");

        Assert.Equal((30522, 384, 6, 12, 1536), (config.VocabSize, config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize));
        Assert.Equal((512, 2, 0), (config.MaxPositionEmbeddings, config.TypeVocabSize, config.PadTokenId));
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal(1, config.NumLabels);
        Assert.Equal(["BertForSequenceClassification"], config.Architectures);
        Assert.Equal(ScoreActivation.Identity, config.Activation);
    }

    [Fact]
    public void Parse_EmptyObject_TakesHuggingFaceDefaults()
    {
        var config = BertConfig.Parse("{}", "config.json");

        Assert.Equal((30522, 768, 12, 12, 3072, "gelu"), (config.VocabSize, config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize, config.HiddenAct));
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal(2, config.NumLabels);
        Assert.Equal(ScoreActivation.Identity, config.Activation);
    }

    [Theory]
    [InlineData("""{"num_labels": 1}""", ScoreActivation.Sigmoid)]
    [InlineData("""{"id2label": {"0": "LABEL_0"}}""", ScoreActivation.Sigmoid)]
    [InlineData("""{"num_labels": 3}""", ScoreActivation.Identity)]
    [InlineData("""{"num_labels": 1, "sentence_transformers": {"activation_fn": "torch.nn.modules.linear.Identity"}}""", ScoreActivation.Identity)]
    [InlineData("""{"num_labels": 1, "sbert_ce_default_activation_function": "torch.nn.modules.linear.Identity"}""", ScoreActivation.Identity)]
    [InlineData("""{"num_labels": 3, "sbert_ce_default_activation_function": "torch.nn.modules.activation.Sigmoid"}""", ScoreActivation.Sigmoid)]
    public void Parse_ActivationEntries_FollowSentenceTransformers(string json, ScoreActivation expected)
    {
        Assert.Equal(expected, BertConfig.Parse(json, "config.json").Activation);
    }

    [Theory]
    [InlineData("""{"hidden_size": 30, "num_attention_heads": 4}""", "Model config 'config.json': 'hidden_size' (30) must be a multiple of 'num_attention_heads' (4).")]
    [InlineData("""{"vocab_size": 0}""", "Model config 'config.json': 'vocab_size' must be a positive integer; got 0.")]
    [InlineData("""{"num_hidden_layers": "six"}""", "Model config 'config.json': 'num_hidden_layers' must be an integer; got \"six\".")]
    [InlineData("""{"hidden_act": "swish"}""", "Model config 'config.json': 'hidden_act' \"swish\" is not supported; use \"gelu\" (exact), \"gelu_new\" or \"gelu_pytorch_tanh\" (tanh approximation), or \"relu\".")]
    [InlineData("""{"hidden_dropout_prob": 1.5}""", "Model config 'config.json': 'hidden_dropout_prob' must be a probability in [0, 1); got 1.5.")]
    [InlineData("""{"id2label": {"0": "a"}, "num_labels": 2}""", "Model config 'config.json': 'num_labels' 2 disagrees with the 1 entries of 'id2label'.")]
    [InlineData("""{"sentence_transformers": {"activation_fn": "torch.nn.modules.activation.Tanh"}}""", "Model config 'config.json': 'sentence_transformers.activation_fn' \"torch.nn.modules.activation.Tanh\" is not supported; use torch.nn.modules.activation.Sigmoid or torch.nn.modules.linear.Identity.")]
    [InlineData("""{"model_type": "roberta"}""", "Model config 'config.json': architecture \"roberta\" is not supported; supported: bert (BertForSequenceClassification), xlm-roberta (XLMRobertaForSequenceClassification), electra (ElectraForSequenceClassification), modernbert (ModernBertForSequenceClassification).")]
    [InlineData("""{"position_embedding_type": "relative_key"}""", "Model config 'config.json': 'position_embedding_type' 'relative_key' is not supported; only \"absolute\" position embeddings are implemented.")]
    [InlineData("[1, 2]", "Model config 'config.json' must be a JSON object.")]
    public void Parse_InvalidValue_ThrowsNamingFileAndKey(string json, string expected)
    {
        var e = Assert.Throws<InvalidInputException>(() => BertConfig.Parse(json, "config.json"));

        Assert.Equal(expected, e.Message);
        Assert.Equal("config.json", e.Path);
    }

    [Fact]
    public void ToJson_ParsedConfig_RoundTripsAndKeepsUnknownKeys()
    {
        var config = BertConfig.Parse(CrossEncoderJson, "config.json");

        var json = config.ToJson();
        var again = BertConfig.Parse(json, "saved.json");

        Assert.Contains("\"gradient_checkpointing\": false", json);
        Assert.Contains("\"_name_or_path\": \"cross-encoder/ms-marco-MiniLM-L-6-v2\"", json);
        Assert.Contains("\"version\": \"4.0.1\"", json);
        Assert.Contains("\"label2id\"", json);
        Assert.Equal(config.Activation, again.Activation);
        Assert.Equal(config.Labels, again.Labels);
        Assert.Equal((config.HiddenSize, config.NumHiddenLayers, config.LayerNormEps), (again.HiddenSize, again.NumHiddenLayers, again.LayerNormEps));
    }

    [Fact]
    public void ToJson_SigmoidDefault_WritesExplicitActivationEntry()
    {
        var config = BertConfig.Parse("""{"num_labels": 1}""", "config.json");

        Assert.Contains("\"activation_fn\": \"torch.nn.modules.activation.Sigmoid\"", config.ToJson());
    }
}
