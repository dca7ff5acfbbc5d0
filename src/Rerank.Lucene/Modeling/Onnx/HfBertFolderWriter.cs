using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// Writes an imported encoder as a Hugging Face base-model folder: config.json (BertModel),
/// model.safetensors, vocab.txt, tokenizer_config.json and special_tokens_map.json.
/// </summary>
internal static class HfBertFolderWriter
{
    /// <summary>
    /// Writes every file into <paramref name="directory"/> (which must exist);
    /// <paramref name="writeSafeTensors"/> writes the weights to the path it is given.
    /// </summary>
    public static void Write(
        string directory,
        ImportedEncoder encoder,
        IReadOnlyList<string> vocab,
        Action<string, IReadOnlyDictionary<string, TensorData>> writeSafeTensors)
    {
        var arch = encoder.Architecture;
        if (vocab.Count != arch.VocabSize)
            throw new InvalidInputException($"The bundled vocab.txt has {vocab.Count} tokens, expected {arch.VocabSize} (the embedding rows).");
        var padId = IndexOf(vocab, "[PAD]");
        foreach (var (_, token) in BertModelFolder.SpecialTokenNames) IndexOf(vocab, token);

        File.WriteAllBytes(Path.Combine(directory, BertModelFolder.ConfigFile), ConfigJson(encoder, padId));
        File.WriteAllText(Path.Combine(directory, BertModelFolder.VocabFile), string.Concat(vocab.Select(t => t + "\n")), new UTF8Encoding(false));
        BertModelFolder.WriteTokenizerFiles(directory, arch.MaxPositionEmbeddings);
        writeSafeTensors(Path.Combine(directory, BertModelFolder.SafetensorsFile), encoder.Weights);
    }

    /// <summary>
    /// Splits vocab.txt bytes into tokens, one per line; accepts LF or CRLF line ends (the
    /// package uses CRLF) and a missing final newline.
    /// </summary>
    public static IReadOnlyList<string> ParseVocab(byte[] bytes)
    {
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = text.Split('\n').Select(l => l.EndsWith('\r') ? l[..^1] : l).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    /// <summary>The Hugging Face config.json of a BertModel with the imported sizes and the graph's numerical details.</summary>
    internal static byte[] ConfigJson(ImportedEncoder encoder, int padTokenId)
    {
        var arch = encoder.Architecture;
        return Json(w =>
        {
            w.WriteStartArray("architectures");
            w.WriteStringValue("BertModel");
            w.WriteEndArray();
            w.WriteString("model_type", "bert");
            w.WriteNumber("vocab_size", arch.VocabSize);
            w.WriteNumber("hidden_size", arch.HiddenSize);
            w.WriteNumber("num_hidden_layers", arch.NumHiddenLayers);
            w.WriteNumber("num_attention_heads", encoder.Facts.NumAttentionHeads);
            w.WriteNumber("intermediate_size", arch.IntermediateSize);
            w.WriteString("hidden_act", encoder.Facts.HiddenAct);
            w.WriteNumber("hidden_dropout_prob", 0.1);
            w.WriteNumber("attention_probs_dropout_prob", 0.1);
            w.WriteNumber("max_position_embeddings", arch.MaxPositionEmbeddings);
            w.WriteNumber("type_vocab_size", arch.TypeVocabSize);
            w.WriteNumber("initializer_range", 0.02);
            // The graph holds epsilon as float32 (1e-12 is 9.9999999600419720e-13 there);
            // its shortest round-trip text gives the value the checkpoint was configured with.
            w.WriteNumber("layer_norm_eps", double.Parse(
                encoder.Facts.LayerNormEps.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
            w.WriteNumber("pad_token_id", padTokenId);
            w.WriteString("position_embedding_type", "absolute");
            w.WriteNull("classifier_dropout");
            w.WriteBoolean("use_cache", true);
            w.WriteString("torch_dtype", "float32");
        });
    }

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    private static int IndexOf(IReadOnlyList<string> vocab, string token)
    {
        for (var i = 0; i < vocab.Count; i++)
            if (vocab[i] == token) return i;
        throw new InvalidInputException($"The bundled vocab.txt has no '{token}' token.");
    }
}
