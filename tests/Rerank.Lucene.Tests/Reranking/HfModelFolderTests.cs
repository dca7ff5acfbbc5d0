using System.Text.Json;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Reranking;
using Rerank.Lucene.Tests.Native;
using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Tests.Reranking;

/// <summary>
/// Hugging Face cross-encoder folders laid out as the Hub publishes them (tests/fixtures/hf-models, written by
/// tests/reference/hf_models.py): ids must equal Hugging Face's Rust tokenizers and logits a PyTorch forward
/// written from the published architecture, within 1e-5, on 40 pairs (long, non-English, cased, special tokens).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class HfModelFolderTests
{
    private static string Fixture(string name) => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "hf-models", name);

    private static (string Query, string Document)[] Pairs() =>
        JsonSerializer.Deserialize<string[][]>(File.ReadAllText(Fixture("pairs.json")))!.Select(p => (p[0], p[1])).ToArray();

    private sealed record Expected(int MaxLength, ExpectedPair[] Pairs);

    private sealed record ExpectedPair(long[] InputIds, long[] TokenTypeIds, double[] Logits);

    private static Expected ReadExpected(string name) =>
        JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(Fixture(name), "expected.json")),
            new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!;

    [Theory]
    [InlineData("bert-msmarco")] // int64 bert.embeddings.position_ids in model.safetensors; uncased
    [InlineData("bert-cased")] // do_lower_case false
    [InlineData("bert-tokjson-sharded")] // tokenizer.json without vocab.txt; sharded safetensors; LayerNorm.gamma/beta
    [InlineData("bert-nli-bin")] // sharded pytorch_model.bin; three labels
    [InlineData("electra-msmarco")] // ELECTRA: embedding_size 16 projected to 32, GELU head; pytorch_model.bin with its int64 position_ids
    [InlineData("modernbert-gte")] // ModernBERT: byte-level BPE tokenizer.json, rotary positions, local/global attention, GeGLU, mean pooling
    [InlineData("xlmr-bge")] // XLM-RoBERTa: SentencePiece Unigram tokenizer.json, positions from pad + 1, RoBERTa head; int64 position_ids buffer
    public void Folder_loads_and_scores_as_the_reference_at_its_default_length(string name)
    {
        var expected = ReadExpected(name);
        var pairs = Pairs();
        Assert.True(pairs.Length >= 40);
        using var encoder = CrossEncoder.Load(Fixture(name), new CrossEncoderOptions { Device = "cpu", BatchSize = 7 });

        Assert.Equal(expected.MaxLength, encoder.MaxLength);
        for (var i = 0; i < pairs.Length; i++)
        {
            var e = encoder.Encode(pairs[i].Query, pairs[i].Document);
            Assert.True(expected.Pairs[i].InputIds.SequenceEqual(e.InputIds), $"pair {i}: ids {string.Join(' ', e.InputIds)} vs reference {string.Join(' ', expected.Pairs[i].InputIds)}");
            Assert.Equal(expected.Pairs[i].TokenTypeIds, e.TokenTypeIds);
        }

        var scores = encoder.PredictLabels(pairs);
        var sigmoid = encoder.Activation == ScoreActivation.Sigmoid;
        for (var i = 0; i < pairs.Length; i++)
        {
            Assert.Equal(expected.Pairs[i].Logits.Length, scores[i].Length);
            for (var k = 0; k < scores[i].Length; k++)
            {
                var logit = expected.Pairs[i].Logits[k];
                var reference = sigmoid ? 1 / (1 + Math.Exp(-logit)) : logit;
                Assert.True(Math.Abs(reference - scores[i][k]) <= 1e-5, $"pair {i} label {k}: {scores[i][k]} vs reference {reference}");
            }
        }
    }

    [Fact]
    public void Cased_model_keeps_capitals_where_an_uncased_one_lowercases()
    {
        using var cased = CrossEncoder.Load(Fixture("bert-cased"), new CrossEncoderOptions { Device = "cpu" });
        var (vocab, _) = BertTokenizerFolder.Read(Fixture("bert-cased"), 128);
        var ids = cased.Encode("Who wrote Hamlet?", "x").InputIds;
        var tokens = vocab.VocabularyTokens();
        Assert.Equal("W", tokens[(int)ids[1]]);
    }

    [Fact]
    public void Multi_label_head_is_refused_for_ranking_unless_a_label_is_picked()
    {
        var folder = Fixture("bert-nli-bin");
        var expected = ReadExpected("bert-nli-bin");
        var pairs = Pairs().Take(3).ToArray();
        using (var all = CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu" }))
        {
            var e = Assert.Throws<InvalidInputException>(() => all.Predict(pairs));
            Assert.Contains("has 3 labels (contradiction, entailment, neutral); ranking needs one score per pair", e.Message);
        }

        using var entailment = CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu", Label = "entailment" });
        var scores = entailment.Predict(pairs);
        for (var i = 0; i < pairs.Length; i++) Assert.Equal(expected.Pairs[i].Logits[1], scores[i], 1e-5);
        var bad = Assert.Throws<InvalidInputException>(() => CrossEncoder.Load(folder, new CrossEncoderOptions { Device = "cpu", Label = "yes" }));
        Assert.Contains("Label 'yes' is not one of the 3 labels", bad.Message);
    }

    [Fact]
    public void Unsupported_architecture_is_named_with_the_supported_ones()
    {
        var e = Assert.Throws<InvalidInputException>(() => BertModelFolder.ReadConfig(Fixture("deberta-v2")));
        Assert.Equal(
            $"Model config '{Path.Combine(Fixture("deberta-v2"), "config.json")}': architecture \"deberta-v2\" (DebertaV2ForSequenceClassification) is not supported; supported: bert (BertForSequenceClassification), xlm-roberta (XLMRobertaForSequenceClassification), electra (ElectraForSequenceClassification), modernbert (ModernBertForSequenceClassification).",
            e.Message);
    }

    [Fact]
    public void Position_ids_buffer_is_skipped_only_when_it_holds_0_to_n_minus_1()
    {
        var dir = TestPaths.NewTempDir("posids");
        try
        {
            var good = Path.Combine(dir, "good.safetensors");
            WriteI64(good, "bert.embeddings.position_ids", [1, 4], [0, 1, 2, 3]);
            Assert.Empty(SafeTensors.Read(good));

            var shifted = Path.Combine(dir, "shifted.safetensors");
            WriteI64(shifted, "bert.embeddings.position_ids", [1, 4], [0, 1, 3, 2]);
            var e = Assert.Throws<InvalidInputException>(() => SafeTensors.Read(shifted));
            Assert.Contains("holds 3 at index 2", e.Message);

            var other = Path.Combine(dir, "other.safetensors");
            WriteI64(other, "bert.embeddings.token_type_ids", [1, 4], [0, 0, 0, 0]);
            e = Assert.Throws<InvalidInputException>(() => SafeTensors.Read(other));
            Assert.Contains("tensor 'bert.embeddings.token_type_ids' has dtype I64", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Shard_missing_a_listed_tensor_is_refused_naming_the_shard()
    {
        var dir = TestPaths.NewTempDir("shards");
        try
        {
            foreach (var file in Directory.GetFiles(Fixture("bert-tokjson-sharded"))) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
            File.Delete(Path.Combine(dir, "model-00002-of-00002.safetensors"));
            var e = Assert.Throws<InvalidInputException>(() => BertModelFolder.ReadWeights(dir));
            Assert.Contains("names shards that are not in the folder: model-00002-of-00002.safetensors", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A copy of fixture <paramref name="name"/> in a new temporary folder, with config.json keys replaced.</summary>
    private static string CopyFixture(string name, Action<System.Text.Json.Nodes.JsonObject>? editConfig = null, Action<System.Text.Json.Nodes.JsonObject>? editTokenizerConfig = null)
    {
        var dir = TestPaths.NewTempDir("hfcopy");
        foreach (var file in Directory.GetFiles(Fixture(name))) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        foreach (var (file, edit) in new[] { ("config.json", editConfig), ("tokenizer_config.json", editTokenizerConfig) })
        {
            if (edit is null) continue;
            var path = Path.Combine(dir, file);
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            edit(json);
            File.WriteAllText(path, json.ToJsonString());
        }

        return dir;
    }

    private static (IPairTokenizer Tokenizer, int? ModelMaxLength) ReadTokenizer(string dir)
    {
        var config = BertModelFolder.ReadConfig(dir);
        return ModelArchitectures.For(config).ReadTokenizer(dir, config);
    }

    [Fact]
    public void Tokenizer_json_template_wins_over_tokenizer_config_cls_token_as_in_the_fast_tokenizer()
    {
        // The reference ids were produced by Hugging Face's fast tokenizer from this tokenizer.json, whose pair template
        // starts with [CLS] (id 2); a cls_token in tokenizer_config.json does not change that template.
        var expected = ReadExpected("bert-tokjson-sharded");
        var dir = CopyFixture("bert-tokjson-sharded", editTokenizerConfig: t => t["cls_token"] = "[MASK]");
        try
        {
            var (tokenizer, _) = ReadTokenizer(dir);
            var pairs = Pairs();
            for (var i = 0; i < pairs.Length; i++)
            {
                var ids = tokenizer.Encode(pairs[i].Query, pairs[i].Document, expected.MaxLength).InputIds;
                Assert.True(expected.Pairs[i].InputIds.SequenceEqual(ids), $"pair {i}: {string.Join(' ', ids)}");
            }

            Assert.Equal(2, expected.Pairs[0].InputIds[0]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void PreTrainedTokenizerFast_takes_the_normalizer_of_tokenizer_json_not_do_lower_case()
    {
        // tokenizer.json's BertNormalizer says lowercase false (the reference ids keep capitals);
        // PreTrainedTokenizerFast ignores do_lower_case, so the ids stay the reference's.
        var expected = ReadExpected("bert-tokjson-sharded");
        var dir = CopyFixture("bert-tokjson-sharded", editTokenizerConfig: t =>
        {
            t["tokenizer_class"] = "PreTrainedTokenizerFast";
            t["do_lower_case"] = true;
            t["strip_accents"] = false;
            t["tokenize_chinese_chars"] = true;
        });
        try
        {
            var (tokenizer, _) = ReadTokenizer(dir);
            var pairs = Pairs();
            for (var i = 0; i < pairs.Length; i++)
            {
                var ids = tokenizer.Encode(pairs[i].Query, pairs[i].Document, expected.MaxLength).InputIds;
                Assert.True(expected.Pairs[i].InputIds.SequenceEqual(ids), $"pair {i}: {string.Join(' ', ids)}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BertTokenizerFast_rewrites_the_normalizer_to_do_lower_case()
    {
        // BertTokenizerFast (the class AutoTokenizer builds for BertTokenizer) sets tokenizer.json's normalizer from
        // tokenizer_config.json: do_lower_case true lower-cases "Who" although tokenizer.json says lowercase false.
        var dir = CopyFixture("bert-tokjson-sharded", editTokenizerConfig: t => { t["tokenizer_class"] = "BertTokenizerFast"; t["do_lower_case"] = true; });
        try
        {
            var (tokenizer, _) = ReadTokenizer(dir);
            var vocabulary = BertTokenizerFolder.ReadTokenizerJsonVocabulary(Path.Combine(dir, "tokenizer.json"));
            var ids = tokenizer.Encode("Who", "x", 16).InputIds;
            Assert.DoesNotContain(ids, id => vocabulary[(int)id].Any(char.IsUpper) && !vocabulary[(int)id].StartsWith('['));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("bert-msmarco", "DebertaV2Tokenizer", "bert", "BertTokenizer, BertTokenizerFast (PreTrainedTokenizerFast too where tokenizer.json is present)")]
    [InlineData("bert-msmarco", "XLMRobertaTokenizer", "bert", "BertTokenizer, BertTokenizerFast (PreTrainedTokenizerFast too where tokenizer.json is present)")]
    [InlineData("bert-msmarco", "PreTrainedTokenizerFast", "bert", "BertTokenizer, BertTokenizerFast (PreTrainedTokenizerFast too where tokenizer.json is present)")]
    [InlineData("bert-tokjson-sharded", "ElectraTokenizer", "bert", "BertTokenizer, BertTokenizerFast, PreTrainedTokenizerFast")]
    [InlineData("electra-msmarco", "BertTokenizer", "electra", "ElectraTokenizer, ElectraTokenizerFast (PreTrainedTokenizerFast too where tokenizer.json is present)")]
    [InlineData("xlmr-bge", "BertTokenizer", "xlm-roberta", "XLMRobertaTokenizer, XLMRobertaTokenizerFast, PreTrainedTokenizerFast")]
    [InlineData("modernbert-gte", "BertTokenizerFast", "modernbert", "PreTrainedTokenizerFast")]
    public void Tokenizer_class_the_architecture_does_not_use_is_refused(string fixture, string tokenizerClass, string modelType, string accepted)
    {
        var dir = CopyFixture(fixture, editTokenizerConfig: t => t["tokenizer_class"] = tokenizerClass);
        try
        {
            var e = Assert.Throws<InvalidInputException>(() => ReadTokenizer(dir));
            Assert.Equal(
                $"'{Path.Combine(dir, "tokenizer_config.json")}': \"tokenizer_class\" is \"{tokenizerClass}\", which a {modelType} model does not use; accepted: {accepted}. Use the tokenizer files that came with the model.",
                e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("bert-msmarco", "BertTokenizerFast")]
    [InlineData("bert-tokjson-sharded", "PreTrainedTokenizerFast")]
    [InlineData("electra-msmarco", "ElectraTokenizerFast")]
    [InlineData("xlmr-bge", "XLMRobertaTokenizerFast")]
    public void Tokenizer_class_of_the_architecture_is_accepted(string fixture, string tokenizerClass)
    {
        var dir = CopyFixture(fixture, editTokenizerConfig: t => t["tokenizer_class"] = tokenizerClass);
        try
        {
            var expected = ReadExpected(fixture);
            var pair = Pairs()[0];
            Assert.Equal(expected.Pairs[0].InputIds, ReadTokenizer(dir).Tokenizer.Encode(pair.Query, pair.Document, expected.MaxLength).InputIds);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("bert-msmarco", "electra", "ElectraForSequenceClassification", "bert", "bert.", "BertForSequenceClassification")]
    [InlineData("bert-msmarco", "xlm-roberta", "XLMRobertaForSequenceClassification", "bert", "bert.", "BertForSequenceClassification")]
    [InlineData("electra-msmarco", "bert", "BertForSequenceClassification", "electra", "electra.", "ElectraForSequenceClassification")]
    [InlineData("xlmr-bge", "bert", "BertForSequenceClassification", "xlm-roberta", "roberta.", "XLMRobertaForSequenceClassification")]
    [InlineData("modernbert-gte", "bert", "BertForSequenceClassification", "modernbert", "model.", "ModernBertForSequenceClassification")]
    public void Config_model_type_disagreeing_with_the_weights_is_named_both_ways(string fixture, string claimed, string claimedClass, string actual, string prefix, string actualClass)
    {
        var dir = CopyFixture(fixture, c => { c["model_type"] = claimed; c["architectures"] = new System.Text.Json.Nodes.JsonArray(claimedClass); });
        try
        {
            var (weights, source) = BertModelFolder.ReadWeights(dir);
            var e = Assert.Throws<InvalidInputException>(() => BertModelFolder.LoadClassifier(dir, ClassifierHeadPolicy.AllowFresh));
            Assert.Equal(
                $"'{Path.Combine(dir, "config.json")}' says model_type \"{claimed}\" but the weights '{source}' are a {actual} checkpoint (keys start with \"{prefix}\"): set \"model_type\": \"{actual}\" and \"architectures\": [\"{actualClass}\"] with that model's own settings in config.json, or use the config.json that came with these weights.",
                e.Message);
            Assert.DoesNotContain("fine-tune", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ModernBert_setting_error_names_the_config_file()
    {
        var dir = CopyFixture("modernbert-gte", c => c["classifier_pooling"] = "max");
        try
        {
            var e = Assert.Throws<InvalidInputException>(() => BertModelFolder.LoadClassifier(dir, ClassifierHeadPolicy.RequireTrained));
            Assert.Equal($"Model config '{Path.Combine(dir, "config.json")}': 'classifier_pooling' is \"max\"; use \"cls\" or \"mean\".", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Config_without_model_type_is_refused_naming_the_key()
    {
        var dir = CopyFixture("bert-msmarco", c => c.Remove("model_type"));
        try
        {
            var e = Assert.Throws<InvalidInputException>(() => CrossEncoder.Load(dir, new CrossEncoderOptions { Device = "cpu" }));
            Assert.Equal(
                $"Model config '{Path.Combine(dir, "config.json")}' has no \"model_type\"; Hugging Face's AutoConfig refuses such a config too. Add the model's family, e.g. \"model_type\": \"bert\" (supported: bert, xlm-roberta, electra, modernbert), or use the config.json that came with the model.",
                e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Empty_query_or_document_encodes_as_the_bert_pair_template()
    {
        // Ids are vocab.txt line numbers minus one: [CLS] 2, [SEP] 3, "the" 215, "moon" 656.
        using var encoder = CrossEncoder.Load(Fixture("bert-msmarco"), new CrossEncoderOptions { Device = "cpu" });
        var emptyQuery = encoder.Encode("", "the moon");
        var emptyDocument = encoder.Encode("the moon", "");

        Assert.Equal([2L, 3, 215, 656, 3], emptyQuery.InputIds);
        Assert.Equal([0L, 0, 1, 1, 1], emptyQuery.TokenTypeIds);
        Assert.Equal([2L, 215, 656, 3, 3], emptyDocument.InputIds);
        Assert.Equal([0L, 0, 0, 0, 1], emptyDocument.TokenTypeIds);
        Assert.All(encoder.PredictLabels([("", "the moon"), ("the moon", "")]), s => Assert.True(float.IsFinite(s[0])));
    }

    /// <summary>One int64 tensor in the safetensors layout (header length, JSON header, little-endian data).</summary>
    private static void WriteI64(string path, string name, long[] shape, long[] values)
    {
        var header = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            [name] = new { dtype = "I64", shape, data_offsets = new[] { 0, values.Length * 8 } },
        });
        using var writer = new BinaryWriter(File.Create(path));
        var bytes = System.Text.Encoding.UTF8.GetBytes(header);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
        foreach (var v in values) writer.Write(v);
    }
}
