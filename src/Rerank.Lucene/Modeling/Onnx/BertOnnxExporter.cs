namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>How the linear layers of an exported BERT are stored and computed.</summary>
internal enum OnnxLinearPrecision
{
    /// <summary>float32 weights and arithmetic: the same function as the TorchSharp forward.</summary>
    Fp32,

    /// <summary>
    /// Dynamic int8 quantization: every encoder linear (Q/K/V, attention output, FFN up and down) holds
    /// int8 weights, symmetric per output channel (scale = max |w| / 127); activations are quantized to
    /// uint8 per tensor at run time (DynamicQuantizeLinear: asymmetric, min/max of the whole batch) and
    /// multiplied in integers. Embeddings, LayerNorms, softmax, pooler and head stay float32.
    /// </summary>
    Int8,
}

/// <summary>Which encoder linears an int8 export quantizes (the others stay float32).</summary>
[Flags]
internal enum Int8Linears
{
    /// <summary>None: the float32 graph.</summary>
    None = 0,

    /// <summary>The Q, K, V projections (QAttention instead of Attention).</summary>
    Qkv = 1,

    /// <summary>The attention output projection.</summary>
    AttentionOutput = 2,

    /// <summary>The FFN up projection (H to intermediate).</summary>
    FfnUp = 4,

    /// <summary>The FFN down projection (intermediate to H), whose input is the GELU output.</summary>
    FfnDown = 8,

    /// <summary>Every encoder linear.</summary>
    All = Qkv | AttentionOutput | FfnUp | FfnDown,

    /// <summary>
    /// Benchmark variant (not used by the library): the quantized attention-output and FFN linears use com.microsoft
    /// MatMulNBits with 8-bit weights in blocks of 32 inputs (symmetric, zero point 128, <see cref="BertOnnxExporter.QuantizeBlocks"/>)
    /// and accuracy_level 4 (the CPU kernel quantizes activations to int8 per row and block) instead of DynamicQuantizeMatMul's
    /// per-channel weights and per-tensor activations. Q/K/V are unaffected (QAttention has no blockwise form).
    /// About 8x closer to fp32 than per-tensor int8 and slower: docs/BENCHMARKS.md, issue 15 goal 1.
    /// </summary>
    Blockwise = 16,

    /// <summary>Benchmark variant: with <see cref="Blockwise"/>, blocks of 128 inputs instead of 32.</summary>
    Block128 = 32,

    /// <summary>
    /// Benchmark variant (not used by the library): the quantized attention-output and FFN linears quantize their
    /// activations per token row (symmetric, scale = max |x_row| / 127, stored as uint8 with zero point 128) in standard
    /// ops and multiply with MatMulInteger against the per-channel int8 weights, instead of DynamicQuantizeMatMul's one
    /// scale per batch tensor. Q/K/V are unaffected.
    /// </summary>
    PerToken = 64,
}

/// <summary>
/// The sentence-embedding head of an exported bi-encoder: sentence-transformers' <c>Pooling</c> (and
/// <c>Normalize</c>) modules on the last hidden state, in the graph.
/// </summary>
/// <param name="Pooling">Mean over the attention mask, sum_t(h_t m_t) / max(sum_t m_t, 1e-9), or the [CLS] vector.</param>
/// <param name="Normalize">Divide each vector by max(||v||_2, 1e-12), as <c>torch.nn.functional.normalize</c>.</param>
internal sealed record SentenceEmbeddingHead(Embedding.PoolingMode Pooling, bool Normalize);

/// <summary>
/// Builds an ONNX graph of a Hugging Face <c>BertForSequenceClassification</c> (or, with a
/// <see cref="SentenceEmbeddingHead"/>, of a sentence-transformers BERT bi-encoder) from its weights, for
/// ONNX Runtime's CPU execution provider. Inputs are <c>input_ids</c>, <c>token_type_ids</c> and
/// <c>attention_mask</c>, int64 [batch, length], right-padded (1 = real token, as
/// <see cref="Tokenization.BertPairEncoder.Pad"/> builds them); the output <c>logits</c> is float32
/// [batch, num_labels], before any activation. A bi-encoder export outputs <c>sentence_embedding</c>, float32
/// [batch, hidden]: pooled (and normalised) in the graph, without the pooler and classifier.
/// </summary>
/// <remarks>
/// The forward is Hugging Face's: word + token-type + position embeddings and LayerNorm; per layer
/// self-attention with a padding mask, output projection + residual + LayerNorm, FFN (H→I, activation,
/// I→H) + residual + LayerNorm; pooler tanh(W·h[CLS] + b); classifier. It uses ONNX Runtime's fused
/// <c>com.microsoft</c> operators where they exist on the CPU: Attention (QKV projection and masked
/// softmax attention in one kernel, the padding given as each row's length), BiasGelu / FastGelu, and for int8 QAttention and
/// DynamicQuantizeMatMul. The graph therefore needs ONNX Runtime; other runtimes lack these ops.
/// Only BERT (<c>model_type</c> "bert") is supported.
/// </remarks>
internal static class BertOnnxExporter
{
    /// <summary>Whether a model of this configuration can be exported (model_type "bert").</summary>
    public static bool Supports(BertConfig config) => string.Equals(config.ModelType, "bert", StringComparison.Ordinal);

    /// <summary>The output of a bi-encoder export (<see cref="ExportSentenceEmbedding"/>).</summary>
    public const string SentenceEmbeddingOutput = "sentence_embedding";

    /// <summary>The output of a cross-encoder export.</summary>
    public const string LogitsOutput = "logits";

    /// <summary>The producer name written into exported models.</summary>
    public const string Producer = "SearchRerank BertOnnxExporter";

    /// <summary>
    /// The serialised ONNX model of a BERT sequence classifier.
    /// </summary>
    /// <param name="config">The model's configuration.</param>
    /// <param name="weights">All weights by Hugging Face name, <c>bert.</c>-prefixed, with <c>classifier.*</c>
    /// (e.g. <see cref="BertForSequenceClassification.ExportWeights"/>).</param>
    /// <param name="precision">How the encoder's linear layers are computed.</param>
    /// <param name="source">Names the model in error messages.</param>
    /// <exception cref="InvalidInputException">The architecture is not BERT, or a weight is missing or has the wrong shape.</exception>
    public static byte[] Export(BertConfig config, IReadOnlyDictionary<string, TensorData> weights, OnnxLinearPrecision precision, string source) =>
        Export(config, weights, precision == OnnxLinearPrecision.Int8 ? Int8Linears.All : Int8Linears.None, source);

    /// <summary>As <see cref="Export(BertConfig, IReadOnlyDictionary{string, TensorData}, OnnxLinearPrecision, string)"/>, quantizing only the linears named.</summary>
    /// <param name="config">The model's configuration.</param>
    /// <param name="weights">All weights by Hugging Face name (as in the other overload).</param>
    /// <param name="int8">The encoder linears to quantize.</param>
    /// <param name="source">Names the model in error messages.</param>
    /// <param name="skipLayerNorm">Use com.microsoft SkipLayerNormalization for bias + residual + LayerNorm instead of
    /// Add, Add, LayerNormalization (measured slower in ONNX Runtime 1.31 on the CPU: docs/BENCHMARKS.md).</param>
    public static byte[] Export(BertConfig config, IReadOnlyDictionary<string, TensorData> weights, Int8Linears int8, string source, bool skipLayerNorm = false) =>
        Export(config, weights, int8, source, skipLayerNorm, embedding: null);

    /// <summary>
    /// The serialised ONNX model of a BERT bi-encoder: the encoder (no pooler, no classifier) and
    /// <paramref name="head"/>, with the output <see cref="SentenceEmbeddingOutput"/> float32 [batch, hidden].
    /// </summary>
    /// <param name="config">The model's configuration.</param>
    /// <param name="weights">The un-prefixed Hugging Face <c>BertModel</c> weights (<c>embeddings.*</c>, <c>encoder.layer.N.*</c>;
    /// <c>pooler.*</c>, unused, may be present), e.g. <see cref="BertModel.ExportWeights"/>.</param>
    /// <param name="precision">How the encoder's linear layers are computed.</param>
    /// <param name="head">Pooling and normalisation.</param>
    /// <param name="source">Names the model in error messages.</param>
    /// <exception cref="InvalidInputException">The architecture is not BERT, or a weight is missing or has the wrong shape.</exception>
    public static byte[] ExportSentenceEmbedding(BertConfig config, IReadOnlyDictionary<string, TensorData> weights, OnnxLinearPrecision precision,
        SentenceEmbeddingHead head, string source)
    {
        ArgumentNullException.ThrowIfNull(head);
        var prefixed = weights.ToDictionary(kv => "bert." + kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return Export(config, prefixed, precision == OnnxLinearPrecision.Int8 ? Int8Linears.All : Int8Linears.None, source, skipLayerNorm: false, head);
    }

    private static byte[] Export(BertConfig config, IReadOnlyDictionary<string, TensorData> weights, Int8Linears int8, string source, bool skipLayerNorm,
        SentenceEmbeddingHead? embedding)
    {
        if (!Supports(config))
            throw new InvalidInputException(
                $"'{source}' is {Words.Article(config.ModelType)} {config.ModelType} model; the ONNX Runtime engine exports BERT models only. Use the TorchSharp engine (--engine torchsharp) for this model.",
                source);

        var h = (long)config.HiddenSize;
        var inter = (long)config.IntermediateSize;
        var heads = config.NumAttentionHeads;
        var eps = (float)config.LayerNormEps;
        var g = new OnnxModelBuilder();
        var w = new WeightSource(weights, source);

        var ids = g.Input("input_ids", OnnxElementType.Int64, "batch", "length");
        var types = g.Input("token_type_ids", OnnxElementType.Int64, "batch", "length");
        var mask = g.Input("attention_mask", OnnxElementType.Int64, "batch", "length");

        // Embeddings: word + token type + positions 0..L-1, then LayerNorm.
        var word = g.Node("Gather", [w.Float(g, "bert.embeddings.word_embeddings.weight", config.VocabSize, h), ids]);
        var type = g.Node("Gather", [w.Float(g, "bert.embeddings.token_type_embeddings.weight", config.TypeVocabSize, h), types]);
        var length = g.Node("Shape", [ids], attributes: [("start", 1L), ("end", 2L)]);
        var zero = g.Constant("zero_1d", [1], [0L]);
        var positions = g.Node("Slice", [w.Float(g, "bert.embeddings.position_embeddings.weight", config.MaxPositionEmbeddings, h), zero, length, zero]);
        var sum = g.Node("Add", [g.Node("Add", [word, type]), positions]);
        var hidden = g.Node("LayerNormalization",
            [sum, w.Float(g, "bert.embeddings.LayerNorm.weight", h), w.Float(g, "bert.embeddings.LayerNorm.bias", h)],
            attributes: [("axis", -1L), ("epsilon", eps)]);

        // Each row's length (right padding): the mask_index form the fused attention kernels take.
        var one = g.Constant("one_1d", [1], [1L]);
        var lengths = g.Node("Cast", [g.Node("ReduceSum", [mask, one], attributes: [("keepdims", 0L)])], attributes: [("to", (long)OnnxElementType.Int32)]);

        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var p = $"bert.encoder.layer.{layer}.";
            var qkvWeight = ConcatColumns(
                w.Transposed(p + "attention.self.query.weight", h, h),
                w.Transposed(p + "attention.self.key.weight", h, h),
                w.Transposed(p + "attention.self.value.weight", h, h), h);
            var qkvBias = w.Values(p + "attention.self.query.bias", h)
                .Concat(w.Values(p + "attention.self.key.bias", h))
                .Concat(w.Values(p + "attention.self.value.bias", h)).ToArray();
            var qkvBiasName = g.Constant(p + "attention.qkv.bias", [3 * h], qkvBias);

            string attention;
            if (!int8.HasFlag(Int8Linears.Qkv))
            {
                attention = g.Node("Attention", [hidden, g.Constant(p + "attention.qkv.weight", [h, 3 * h], qkvWeight), qkvBiasName, lengths],
                    OnnxModelBuilder.MicrosoftDomain, attributes: [("num_heads", (long)heads)]);
            }
            else
            {
                var (q, scale) = QuantizePerColumn(qkvWeight, h, 3 * h);
                var x = g.Nodes("DynamicQuantizeLinear", [hidden], 3);
                attention = g.Node("QAttention",
                    [x[0], g.Constant(p + "attention.qkv.weight_int8", [h, 3 * h], q), qkvBiasName, x[1],
                        g.Constant(p + "attention.qkv.weight_scale", [3 * h], scale), lengths, x[2]],
                    OnnxModelBuilder.MicrosoftDomain, attributes: [("num_heads", (long)heads)]);
            }

            var form = int8.HasFlag(Int8Linears.Blockwise) ? (int8.HasFlag(Int8Linears.Block128) ? QuantizedForm.Blocks128 : QuantizedForm.Blocks32)
                : int8.HasFlag(Int8Linears.PerToken) ? QuantizedForm.PerToken : QuantizedForm.PerTensor;
            var projected = Linear(g, w, int8.HasFlag(Int8Linears.AttentionOutput), attention, p + "attention.output.dense.weight", h, h, form);
            var afterAttention = ResidualLayerNorm(g, w, projected, hidden, p + "attention.output.dense.bias", p + "attention.output.LayerNorm.", h, eps, skipLayerNorm);

            var up = Linear(g, w, int8.HasFlag(Int8Linears.FfnUp), afterAttention, p + "intermediate.dense.weight", inter, h, form);
            var upBias = w.Float(g, p + "intermediate.dense.bias", inter);
            var activated = config.HiddenAct switch
            {
                "gelu" => g.Node("BiasGelu", [up, upBias], OnnxModelBuilder.MicrosoftDomain),
                "gelu_new" or "gelu_pytorch_tanh" => g.Node("FastGelu", [up, upBias], OnnxModelBuilder.MicrosoftDomain),
                "relu" => g.Node("Relu", [g.Node("Add", [up, upBias])]),
                _ => throw new InvalidInputException($"'{source}': hidden_act \"{config.HiddenAct}\" cannot be exported; supported: gelu, gelu_new, gelu_pytorch_tanh, relu.", source),
            };
            var down = Linear(g, w, int8.HasFlag(Int8Linears.FfnDown), activated, p + "output.dense.weight", h, inter, form);
            hidden = ResidualLayerNorm(g, w, down, afterAttention, p + "output.dense.bias", p + "output.LayerNorm.", h, eps, skipLayerNorm);
        }

        var cls = g.Node("Gather", [hidden, g.Constant("cls_index", [], [0L])], attributes: [("axis", 1L)]);
        if (embedding is not null)
        {
            SentenceEmbedding(g, hidden, cls, mask, embedding);
            g.Output(SentenceEmbeddingOutput, OnnxElementType.Float, "batch", h);
            w.Ignore("bert.pooler.dense.weight", "bert.pooler.dense.bias");
            w.RequireAllUsed();
            return g.Build("bert_bi_encoder", Producer);
        }

        // Pooler on [CLS] and the classifier head, float32.
        var pooled = g.Node("Tanh", [g.Node("Gemm",
            [cls, w.Float(g, "bert.pooler.dense.weight", h, h), w.Float(g, "bert.pooler.dense.bias", h)], attributes: [("transB", 1L)])]);
        var labels = (long)config.NumLabels;
        g.Node("Gemm", [pooled, w.Float(g, "classifier.weight", labels, h), w.Float(g, "classifier.bias", labels)],
            output: LogitsOutput, attributes: [("transB", 1L)]);
        g.Output(LogitsOutput, OnnxElementType.Float, "batch", labels);
        w.RequireAllUsed();
        return g.Build("bert_cross_encoder", Producer);
    }

    // sentence-transformers' Pooling and Normalize on the last hidden state [B, L, H]: the output sentence_embedding [B, H].
    private static void SentenceEmbedding(OnnxModelBuilder g, string hidden, string cls, string mask, SentenceEmbeddingHead head)
    {
        var pooled = cls;
        if (head.Pooling == Embedding.PoolingMode.Mean)
        {
            var axis1 = g.Constant("pool_axis", [1], [1L]);
            var weights = g.Node("Unsqueeze", [g.Node("Cast", [mask], attributes: [("to", (long)OnnxElementType.Float)]), g.Constant("pool_unsqueeze_axis", [1], [-1L])]); // [B, L, 1]
            var sum = g.Node("ReduceSum", [g.Node("Mul", [hidden, weights]), axis1], attributes: [("keepdims", 0L)]);            // [B, H]
            var count = g.Node("Max", [g.Node("ReduceSum", [weights, axis1], attributes: [("keepdims", 0L)]), g.Constant("pool_min_count", [], [1e-9f])]); // [B, 1]
            pooled = g.Node("Div", [sum, count]);
        }
        if (!head.Normalize)
        {
            g.Node("Identity", [pooled], output: SentenceEmbeddingOutput);
            return;
        }
        var norm = g.Node("Max", [g.Node("ReduceL2", [pooled], attributes: [("axes", new[] { -1L }), ("keepdims", 1L)]), g.Constant("norm_min", [], [1e-12f])]);
        g.Node("Div", [pooled, norm], output: SentenceEmbeddingOutput);
    }

    /// <summary>
    /// Symmetric per-column int8 quantization of a row-major [rows, cols] matrix: column j gets
    /// scale_j = max_i |w_ij| / 127 (1 when the column is all zeros) and q_ij = round(w_ij / scale_j),
    /// ties to even, in [-127, 127].
    /// </summary>
    internal static (sbyte[] Quantized, float[] Scales) QuantizePerColumn(float[] values, long rows, long cols)
    {
        var scales = new float[cols];
        for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++)
            scales[j] = MathF.Max(scales[j], MathF.Abs(values[i * cols + j]));
        for (var j = 0; j < cols; j++) scales[j] = scales[j] > 0 ? scales[j] / 127f : 1f;
        var quantized = new sbyte[values.Length];
        for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++)
            quantized[i * cols + j] = (sbyte)Math.Clamp(MathF.Round(values[i * cols + j] / scales[j], MidpointRounding.ToEven), -127f, 127f);
        return (quantized, scales);
    }

    // LayerNorm(x + bias + residual), with the bias and LayerNorm weights of the layer named.
    private static string ResidualLayerNorm(OnnxModelBuilder g, WeightSource w, string x, string residual, string bias, string layerNorm,
        long h, float eps, bool fused)
    {
        var gamma = w.Float(g, layerNorm + "weight", h);
        var beta = w.Float(g, layerNorm + "bias", h);
        var b = w.Float(g, bias, h);
        if (fused) return g.Node("SkipLayerNormalization", [x, residual, gamma, beta, b], OnnxModelBuilder.MicrosoftDomain, attributes: [("epsilon", eps)]);
        var sum = g.Node("Add", [g.Node("Add", [x, b]), residual]);
        return g.Node("LayerNormalization", [sum, gamma, beta], attributes: [("axis", -1L), ("epsilon", eps)]);
    }

    // How a quantized linear is computed (Int8Linears' benchmark variants; PerTensor is the library's int8).
    private enum QuantizedForm
    {
        PerTensor,
        PerToken,
        Blocks32,
        Blocks128,
    }

    // x [.., inFeatures] @ W^T for a torch Linear weight [outFeatures, inFeatures]; no bias (the fused op after it adds it).
    private static string Linear(OnnxModelBuilder g, WeightSource w, bool quantized, string x, string name, long outFeatures, long inFeatures,
        QuantizedForm form = QuantizedForm.PerTensor)
    {
        if (quantized && form is QuantizedForm.Blocks32 or QuantizedForm.Blocks128)
            return BlockwiseLinear(g, w, x, name, outFeatures, inFeatures, form == QuantizedForm.Blocks32 ? 32 : 128);
        var transposed = w.Transposed(name, outFeatures, inFeatures);
        if (quantized && form == QuantizedForm.PerToken)
        {
            // Per token: s = max(max_k |x_k|, 1e-30) / 127; q = round(x / s) + 128 as uint8; y = (q - 128) . W_int8 * s * w_scale.
            var (wq, wScale) = QuantizePerColumn(transposed, inFeatures, outFeatures);
            var amax = g.Node("ReduceMax", [g.Node("Abs", [x])], attributes: [("axes", new[] { -1L }), ("keepdims", 1L)]);
            var rowScale = g.Node("Div", [g.Node("Max", [amax, g.Constant(name + ".tiny", [], [1e-30f])]), g.Constant(name + ".q127", [], [127f])]);
            var codes = g.Node("Cast", [g.Node("Add", [g.Node("Round", [g.Node("Div", [x, rowScale])]), g.Constant(name + ".zp_f", [], [128f])])],
                attributes: [("to", (long)OnnxElementType.UInt8)]);
            var integer = g.Node("MatMulInteger", [codes, g.Constant(name + ".t_int8", [inFeatures, outFeatures], wq), g.Constant(name + ".zp", [], new byte[] { 128 })]);
            var asFloat = g.Node("Cast", [integer], attributes: [("to", (long)OnnxElementType.Float)]);
            return g.Node("Mul", [g.Node("Mul", [asFloat, rowScale]), g.Constant(name + ".t_scale", [outFeatures], wScale)]);
        }
        if (!quantized) return g.Node("MatMul", [x, g.Constant(name + ".t", [inFeatures, outFeatures], transposed)]);
        var (q, scale) = QuantizePerColumn(transposed, inFeatures, outFeatures);
        return g.Node("DynamicQuantizeMatMul",
            [x, g.Constant(name + ".t_int8", [inFeatures, outFeatures], q), g.Constant(name + ".t_scale", [outFeatures], scale)],
            OnnxModelBuilder.MicrosoftDomain);
    }

    // com.microsoft MatMulNBits with bits 8 for a torch Linear weight [out, in]: A [.., in] float, B the codes [out, in/block, block],
    // scales [out * in/block], default zero point 128; accuracy_level 4 lets the CPU kernel quantize A to int8 per row and block.
    private static string BlockwiseLinear(OnnxModelBuilder g, WeightSource w, string x, string name, long outFeatures, long inFeatures, int block)
    {
        var (codes, scales) = QuantizeBlocks(w.Values(name, outFeatures, inFeatures), outFeatures, inFeatures, block);
        return g.Node("MatMulNBits",
            [x, g.Constant(name + ".q8", [outFeatures, inFeatures / block, block], codes), g.Constant(name + ".q8_scale", [outFeatures * (inFeatures / block)], scales)],
            OnnxModelBuilder.MicrosoftDomain,
            attributes: [("K", inFeatures), ("N", outFeatures), ("bits", 8L), ("block_size", (long)block), ("accuracy_level", 4L)]);
    }

    /// <summary>
    /// Symmetric 8-bit quantization of a row-major [rows, cols] matrix in blocks of <paramref name="block"/> consecutive
    /// values of a row (cols must be a multiple of it), as MatMulNBits stores a weight: block b of row r gets
    /// scale = max |w| / 127 over the block (1 when all zeros), code = round(w / scale) + 128 (ties to even), in [1, 255].
    /// Scales are row-major [rows, cols / block].
    /// </summary>
    internal static (byte[] Codes, float[] Scales) QuantizeBlocks(float[] values, long rows, long cols, int block)
    {
        if (cols % block != 0) throw new ArgumentException($"{cols} columns are not a multiple of the block size {block}.", nameof(block));
        var blocks = cols / block;
        var codes = new byte[values.Length];
        var scales = new float[rows * blocks];
        for (long r = 0; r < rows; r++)
        for (long b = 0; b < blocks; b++)
        {
            var start = r * cols + b * block;
            var max = 0f;
            for (var k = 0; k < block; k++) max = MathF.Max(max, MathF.Abs(values[start + k]));
            var scale = max > 0 ? max / 127f : 1f;
            scales[r * blocks + b] = scale;
            for (var k = 0; k < block; k++)
                codes[start + k] = (byte)(Math.Clamp(MathF.Round(values[start + k] / scale, MidpointRounding.ToEven), -127f, 127f) + 128);
        }
        return (codes, scales);
    }

    private static float[] ConcatColumns(float[] a, float[] b, float[] c, long rows)
    {
        var cols = a.Length / rows;
        var result = new float[a.Length * 3];
        for (long i = 0; i < rows; i++)
        {
            Array.Copy(a, i * cols, result, i * 3 * cols, cols);
            Array.Copy(b, i * cols, result, i * 3 * cols + cols, cols);
            Array.Copy(c, i * cols, result, i * 3 * cols + 2 * cols, cols);
        }
        return result;
    }

    /// <summary>Checked access to the weights: every one must be used exactly as its shape says, and all must be used.</summary>
    private sealed class WeightSource(IReadOnlyDictionary<string, TensorData> weights, string source)
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public float[] Values(string name, params long[] shape)
        {
            if (!weights.TryGetValue(name, out var tensor))
                throw new InvalidInputException($"'{source}' has no weight '{name}'; the ONNX Runtime engine needs every weight of the BERT model.", source);
            if (!tensor.Shape.SequenceEqual(shape))
                throw new InvalidInputException($"'{source}': weight '{name}' has shape [{string.Join(", ", tensor.Shape)}]; expected [{string.Join(", ", shape)}].", source);
            _used.Add(name);
            return tensor.Values;
        }

        public string Float(OnnxModelBuilder g, string name, params long[] shape) => g.Constant(name, shape, Values(name, shape));

        // A torch Linear weight [out, in] as the row-major [in, out] matrix MatMul multiplies by.
        public float[] Transposed(string name, long outFeatures, long inFeatures)
        {
            var values = Values(name, outFeatures, inFeatures);
            var result = new float[values.Length];
            for (long o = 0; o < outFeatures; o++)
            for (long i = 0; i < inFeatures; i++)
                result[i * outFeatures + o] = values[o * inFeatures + i];
            return result;
        }

        // Weights a graph has no use for (a bi-encoder's pooler), accepted when present.
        public void Ignore(params string[] names)
        {
            foreach (var name in names) _used.Add(name);
        }

        public void RequireAllUsed()
        {
            var unused = weights.Keys.Where(k => !_used.Contains(k)).Order(StringComparer.Ordinal).ToList();
            if (unused.Count > 0)
                throw new InvalidInputException($"'{source}' has weights the BERT ONNX export does not use: {string.Join(", ", unused.Take(5))}{(unused.Count > 5 ? ", ..." : "")}.", source);
        }
    }
}
