namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// Turns the ONNX export of the MiniLM <c>BertModel</c> into Hugging Face checkpoint
/// tensors, and reads the graph for the numerical details a re-implementation must match.
/// </summary>
/// <remarks>
/// The exporter (PyTorch 1.10) kept Hugging Face names for embeddings, biases, LayerNorms
/// and the pooler, but stored each layer's six linear weights as anonymous initializers
/// (<c>927</c>, <c>928</c>, ...) transposed to [in, out], the right operand of a
/// <c>MatMul</c>. Their names are recovered from the graph, not the numbering: the
/// <c>MatMul</c>'s output goes into an <c>Add</c> whose other operand is the named bias, so
/// <c>X.bias</c> names the weight <c>X.weight</c>, transposed back to [out, in].
/// </remarks>
internal static class MiniLmImporter
{
    /// <summary>Imports <paramref name="onnxModel"/> and checks it against <paramref name="architecture"/> (default MiniLM-L6).</summary>
    /// <exception cref="InvalidInputException">A key is missing, produced twice, unexpected or of the wrong shape, or a graph detail is not as expected.</exception>
    public static ImportedEncoder Import(ReadOnlyMemory<byte> onnxModel, MiniLmArchitecture? architecture = null)
    {
        architecture ??= MiniLmArchitecture.MiniLmL6;
        var graph = OnnxModelReader.ReadGraph(onnxModel);
        var weights = MapWeights(graph);
        CheckAgainst(architecture, weights);
        var facts = ReadFacts(graph, architecture);
        return new ImportedEncoder(architecture, weights, facts);
    }

    /// <summary>Maps the graph's FLOAT initializers to Hugging Face names; see the type remarks.</summary>
    internal static Dictionary<string, TensorData> MapWeights(OnnxGraph graph)
    {
        var weights = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        var problems = new List<string>();
        var handled = new HashSet<string>(StringComparer.Ordinal); // mapped or already reported

        void Add(string hfName, TensorData tensor, string source)
        {
            if (!weights.TryAdd(hfName, tensor)) problems.Add($"'{hfName}' is produced twice (again from initializer '{source}')");
            handled.Add(source);
        }

        foreach (var node in graph.Nodes)
        {
            if (node.OpType == "MatMul" && node.Inputs.Count == 2 && graph.Initializers.TryGetValue(node.Inputs[1], out var w)
                && w.DataType == OnnxTensor.Float)
            {
                var bias = FindBiasAfter(graph, node);
                handled.Add(w.Name);
                if (bias is null)
                {
                    problems.Add($"MatMul '{node.Name}' with weight initializer '{w.Name}' is not followed by an Add of a named '.bias' initializer");
                    continue;
                }
                if (w.Dims.Length != 2)
                {
                    problems.Add($"MatMul weight '{w.Name}' has dims [{string.Join(", ", w.Dims)}], expected 2 dims");
                    continue;
                }
                var hfName = bias[..^".bias".Length] + ".weight";
                Add(hfName, Transpose(w), w.Name);
            }
            else if (node.OpType == "Gemm" && node.Inputs.Count >= 2 && graph.Initializers.TryGetValue(node.Inputs[1], out var gw)
                     && gw.DataType == OnnxTensor.Float)
            {
                // Gemm computes A * op(B) + C with op(B) = B^T when transB = 1; Hugging Face's
                // Linear keeps [out, in] and computes x W^T, so transB = 1 means B is already HF layout.
                var transB = node.Attributes.TryGetValue("transB", out var t) ? t.Int : 0;
                var transA = node.Attributes.TryGetValue("transA", out var ta) ? ta.Int : 0;
                handled.Add(gw.Name);
                if (transA != 0 || !IsHfName(gw.Name))
                {
                    problems.Add($"Gemm '{node.Name}' (transA={transA}, weight '{gw.Name}') is not a linear layer with a named weight");
                    continue;
                }
                var tensor = new TensorData(gw.Dims, gw.ToFloat32());
                Add(gw.Name, transB == 1 ? tensor : Transpose(gw), gw.Name);
            }
        }

        foreach (var init in graph.Initializers.Values)
        {
            if (handled.Contains(init.Name)) continue;
            if (init.Name == "embeddings.position_ids") continue; // an INT64 buffer, checked in ReadFacts
            if (init.DataType != OnnxTensor.Float) continue;      // INT64 shape constants of Reshape/Slice
            if (IsHfName(init.Name)) Add(init.Name, new TensorData(init.Dims, init.ToFloat32()), init.Name);
            else problems.Add($"FLOAT initializer '{init.Name}' [{string.Join(", ", init.Dims)}] could not be mapped to a Hugging Face name");
        }

        if (problems.Count > 0)
            throw new InvalidInputException("Cannot import the ONNX encoder: " + string.Join("; ", problems) + ".");
        return weights;
    }

    /// <summary>Fails unless <paramref name="weights"/> has exactly the keys and shapes of the architecture.</summary>
    internal static void CheckAgainst(MiniLmArchitecture architecture, IReadOnlyDictionary<string, TensorData> weights)
    {
        var expected = architecture.ExpectedShapes();
        var missing = expected.Keys.Where(k => !weights.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = weights.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var wrongShape = expected
            .Where(e => weights.TryGetValue(e.Key, out var w) && !w.Shape.SequenceEqual(e.Value))
            .Select(e => $"{e.Key} is [{string.Join(", ", weights[e.Key].Shape)}], expected [{string.Join(", ", e.Value)}]")
            .Order(StringComparer.Ordinal)
            .ToList();
        var badLength = weights.Where(w => w.Value.Values.Length != w.Value.ElementCount).Select(w => w.Key).ToList();
        if (missing.Count + unexpected.Count + wrongShape.Count + badLength.Count == 0) return;

        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing keys: {string.Join(", ", missing)}");
        if (unexpected.Count > 0) parts.Add($"unexpected keys: {string.Join(", ", unexpected)}");
        if (wrongShape.Count > 0) parts.Add($"wrong shapes: {string.Join("; ", wrongShape)}");
        if (badLength.Count > 0) parts.Add($"value count does not match shape: {string.Join(", ", badLength)}");
        throw new InvalidInputException(
            $"The ONNX encoder does not match a BertModel with {architecture.NumHiddenLayers} layers, hidden {architecture.HiddenSize}, "
            + $"intermediate {architecture.IntermediateSize}, vocab {architecture.VocabSize}: {string.Join(". ", parts)}.");
    }

    /// <summary>Reads LayerNorm epsilon, activation, attention scale, head count, mask value and position ids from the graph.</summary>
    internal static MiniLmGraphFacts ReadFacts(OnnxGraph graph, MiniLmArchitecture architecture)
    {
        var eps = ReadLayerNormEps(graph, architecture);
        var act = ReadHiddenAct(graph, architecture);
        var (scale, maskFill) = ReadAttentionScale(graph, architecture);
        var heads = ReadHeadCount(graph, architecture);
        var positionsOk = false;
        if (graph.Initializers.TryGetValue("embeddings.position_ids", out var positions))
        {
            var ids = positions.ToInt64();
            positionsOk = ids.Length == architecture.MaxPositionEmbeddings && ids.Select((v, i) => v == i).All(b => b);
            if (!positionsOk)
                throw new InvalidInputException("The ONNX encoder's embeddings.position_ids is not 0, 1, ..., max_positions - 1.");
        }
        return new MiniLmGraphFacts(eps, act, scale, heads, maskFill, positionsOk);
    }

    // LayerNorm exported from PyTorch 1.10 is decomposed: x - mean, Pow 2, ReduceMean, Add eps,
    // Sqrt, Div. The epsilon is the constant operand of the Add that feeds each Sqrt. Newer
    // exports use one LayerNormalization node with an 'epsilon' attribute (default 1e-5).
    private static float ReadLayerNormEps(OnnxGraph graph, MiniLmArchitecture architecture)
    {
        var found = new List<float>();
        foreach (var node in graph.Nodes)
        {
            if (node.OpType == "LayerNormalization")
            {
                found.Add(node.Attributes.TryGetValue("epsilon", out var e) ? e.Float : 1e-5f);
            }
            else if (node.OpType == "Sqrt" && graph.ProducerOf(node.Inputs[0]) is { OpType: "Add" } add)
            {
                var constant = add.Inputs.Select(graph.ConstantOf).FirstOrDefault(c => c is not null);
                if (constant is not null) found.Add(constant.ToScalarFloat());
            }
        }
        var expectedCount = 2 * architecture.NumHiddenLayers + 1;
        if (found.Count != expectedCount || found.Distinct().Count() != 1)
        {
            throw new InvalidInputException(
                $"Expected {expectedCount} LayerNorms with one shared epsilon in the ONNX encoder, found {found.Count} "
                + $"with epsilon values {string.Join(", ", found.Distinct().Select(f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}.");
        }
        return found[0];
    }

    // Follows each intermediate.dense output: x * 0.5 * (1 + erf(x / sqrt 2)) is Hugging Face's
    // "gelu"; the tanh approximation (with x^3) is "gelu_new"; opset 20 has a Gelu op.
    private static string ReadHiddenAct(OnnxGraph graph, MiniLmArchitecture architecture)
    {
        var acts = new List<string>();
        for (var layer = 0; layer < architecture.NumHiddenLayers; layer++)
        {
            var bias = $"encoder.layer.{layer}.intermediate.dense.bias";
            var add = graph.ConsumersOf(bias).FirstOrDefault(n => n.OpType == "Add")
                      ?? throw new InvalidInputException($"The ONNX encoder has no Add of '{bias}'.");
            var reached = Descendants(graph, add.Outputs[0], depth: 4);
            var gelu = reached.FirstOrDefault(n => n.OpType == "Gelu");
            if (gelu is not null)
            {
                acts.Add(gelu.Attributes.TryGetValue("approximate", out var a) && a.String == "tanh" ? "gelu_new" : "gelu");
            }
            else if (reached.Any(n => n.OpType == "Erf"))
            {
                var erf = reached.First(n => n.OpType == "Erf");
                var scaleNode = graph.ProducerOf(erf.Inputs[0]);
                var c = scaleNode?.Inputs.Select(graph.ConstantOf).FirstOrDefault(t => t is not null)?.ToScalarFloat();
                var factor = scaleNode?.OpType == "Div" ? 1 / c : scaleNode?.OpType == "Mul" ? c : null;
                if (factor is null || Math.Abs(factor.Value - 1 / Math.Sqrt(2)) > 1e-6)
                    throw new InvalidInputException($"Layer {layer}: Erf input is not x / sqrt(2) (factor {factor}); not a standard GELU.");
                acts.Add("gelu");
            }
            else if (reached.Any(n => n.OpType == "Tanh"))
            {
                acts.Add("gelu_new");
            }
            else
            {
                throw new InvalidInputException(
                    $"Layer {layer}: the activation after intermediate.dense is neither erf GELU nor tanh GELU "
                    + $"(ops reached: {string.Join(", ", reached.Select(n => n.OpType).Distinct())}).");
            }
        }
        if (acts.Distinct().Count() != 1)
            throw new InvalidInputException($"The ONNX encoder's layers use different activations: {string.Join(", ", acts)}.");
        return acts[0];
    }

    // scores = Q K^T / c (+ additive mask) -> Softmax. Walks back from each Softmax over the
    // mask Add to the Div (or Mul) by a constant. The mask operand is (1 - mask) * fill.
    private static (float Scale, float? MaskFill) ReadAttentionScale(OnnxGraph graph, MiniLmArchitecture architecture)
    {
        var scales = new List<float>();
        var fills = new List<float>();
        foreach (var softmax in graph.Nodes.Where(n => n.OpType == "Softmax"))
        {
            if (graph.ProducerOf(softmax.Inputs[0]) is not { OpType: "Add" } maskAdd) continue;
            foreach (var input in maskAdd.Inputs)
            {
                var producer = graph.ProducerOf(input);
                if (producer is { OpType: "Div" or "Mul" } && graph.ProducerOf(producer.Inputs[0]) is { OpType: "MatMul" }
                    && graph.ConstantOf(producer.Inputs[1]) is { } c)
                {
                    var value = c.ToScalarFloat();
                    scales.Add(producer.OpType == "Div" ? 1 / value : value);
                }
                else if (producer is { OpType: "Mul" } && producer.Inputs.Select(graph.ConstantOf).FirstOrDefault(t => t is not null) is { } fill
                         && producer.Inputs.Any(i => graph.ProducerOf(i) is { OpType: "Sub" }))
                {
                    fills.Add(fill.ToScalarFloat());
                }
            }
        }
        var expected = 1 / Math.Sqrt(architecture.HeadSize);
        if (scales.Count != architecture.NumHiddenLayers || scales.Any(s => Math.Abs(s - expected) > 1e-6))
        {
            throw new InvalidInputException(
                $"Expected {architecture.NumHiddenLayers} attention score scales of 1/sqrt({architecture.HeadSize}) = {expected:R}, "
                + $"found {scales.Count}: {string.Join(", ", scales)}.");
        }
        return (scales[0], fills.Count > 0 && fills.Distinct().Count() == 1 ? fills[0] : null);
    }

    // The query projection is reshaped to [batch, seq, heads, head_size]; the last two entries
    // of the shape come from constant initializers (Concat of Shape gathers and constants).
    private static int ReadHeadCount(OnnxGraph graph, MiniLmArchitecture architecture)
    {
        var add = graph.ConsumersOf("encoder.layer.0.attention.self.query.bias").FirstOrDefault(n => n.OpType == "Add");
        var reshape = add is null ? null : graph.ConsumersOf(add.Outputs[0]).FirstOrDefault(n => n.OpType == "Reshape");
        var shapeSource = reshape is null ? null : graph.ProducerOf(reshape.Inputs[1]);
        long[]? tail = null;
        if (shapeSource is { OpType: "Concat" } concat && concat.Inputs.Count == 4)
        {
            var a = graph.ConstantOf(concat.Inputs[2]);
            var b = graph.ConstantOf(concat.Inputs[3]);
            if (a is { DataType: OnnxTensor.Int64 } && b is { DataType: OnnxTensor.Int64 }) tail = [a.ToInt64()[0], b.ToInt64()[0]];
        }
        else if (reshape is not null && graph.ConstantOf(reshape.Inputs[1]) is { DataType: OnnxTensor.Int64 } shape)
        {
            tail = shape.ToInt64()[^2..];
        }
        if (tail is null || tail[0] != architecture.NumAttentionHeads || tail[1] != architecture.HeadSize)
        {
            throw new InvalidInputException(
                $"Expected the query reshape to [.., {architecture.NumAttentionHeads}, {architecture.HeadSize}] in the ONNX encoder, "
                + $"found {(tail is null ? "no constant shape" : $"[.., {tail[0]}, {tail[1]}]")}.");
        }
        return (int)tail[0];
    }

    private static string? FindBiasAfter(OnnxGraph graph, OnnxNode matMul)
    {
        foreach (var consumer in graph.ConsumersOf(matMul.Outputs[0]))
        {
            if (consumer.OpType != "Add") continue;
            var other = consumer.Inputs.FirstOrDefault(i => i != matMul.Outputs[0]);
            if (other is not null && other.EndsWith(".bias", StringComparison.Ordinal) && graph.Initializers.ContainsKey(other))
                return other;
        }
        return null;
    }

    private static List<OnnxNode> Descendants(OnnxGraph graph, string value, int depth)
    {
        var seen = new HashSet<OnnxNode>(ReferenceEqualityComparer.Instance);
        var result = new List<OnnxNode>();
        var frontier = new List<string> { value };
        for (var d = 0; d < depth && frontier.Count > 0; d++)
        {
            var next = new List<string>();
            foreach (var v in frontier)
            {
                foreach (var node in graph.ConsumersOf(v))
                {
                    if (!seen.Add(node)) continue;
                    result.Add(node);
                    next.AddRange(node.Outputs);
                }
            }
            frontier = next;
        }
        return result;
    }

    private static bool IsHfName(string name) =>
        name.StartsWith("embeddings.", StringComparison.Ordinal)
        || name.StartsWith("encoder.", StringComparison.Ordinal)
        || name.StartsWith("pooler.", StringComparison.Ordinal);

    /// <summary>Returns the [rows, cols] initializer as a [cols, rows] tensor.</summary>
    private static TensorData Transpose(OnnxTensor tensor)
    {
        var rows = (int)tensor.Dims[0];
        var cols = (int)tensor.Dims[1];
        var source = tensor.ToFloat32();
        var target = new float[source.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
                target[c * rows + r] = source[r * cols + c];
        return new TensorData([cols, rows], target);
    }
}
