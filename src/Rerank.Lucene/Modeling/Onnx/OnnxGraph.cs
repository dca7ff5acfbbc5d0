namespace Rerank.Lucene.Modeling.Onnx;

/// <summary>
/// The parts of an ONNX <c>GraphProto</c> that weight import needs: nodes in file order,
/// initializers by name, and the names of the graph inputs and outputs.
/// </summary>
/// <param name="Nodes">The nodes, in file (topological) order.</param>
/// <param name="Initializers">The initializers by name.</param>
/// <param name="InputNames">The <c>ValueInfoProto</c> names of the graph inputs.</param>
/// <param name="OutputNames">The <c>ValueInfoProto</c> names of the graph outputs.</param>
internal sealed record OnnxGraph(
    IReadOnlyList<OnnxNode> Nodes,
    IReadOnlyDictionary<string, OnnxTensor> Initializers,
    IReadOnlyList<string> InputNames,
    IReadOnlyList<string> OutputNames)
{
    private Dictionary<string, OnnxNode>? _producers;
    private Dictionary<string, List<OnnxNode>>? _consumers;

    /// <summary>The node that outputs <paramref name="valueName"/>, or null (graph input or initializer).</summary>
    public OnnxNode? ProducerOf(string valueName)
    {
        _producers ??= BuildProducers();
        return _producers.GetValueOrDefault(valueName);
    }

    /// <summary>The nodes that take <paramref name="valueName"/> as an input, in file order.</summary>
    public IReadOnlyList<OnnxNode> ConsumersOf(string valueName)
    {
        _consumers ??= BuildConsumers();
        return _consumers.TryGetValue(valueName, out var list) ? list : [];
    }

    /// <summary>
    /// The constant tensor behind <paramref name="valueName"/>: an initializer, or the
    /// <c>value</c> attribute of the <c>Constant</c> node that produces it; otherwise null.
    /// </summary>
    public OnnxTensor? ConstantOf(string valueName)
    {
        if (Initializers.TryGetValue(valueName, out var init)) return init;
        var producer = ProducerOf(valueName);
        if (producer is { OpType: "Constant" } && producer.Attributes.TryGetValue("value", out var value)) return value.Tensor;
        return null;
    }

    private Dictionary<string, OnnxNode> BuildProducers()
    {
        var map = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var node in Nodes)
            foreach (var output in node.Outputs)
                if (output.Length > 0) map[output] = node;
        return map;
    }

    private Dictionary<string, List<OnnxNode>> BuildConsumers()
    {
        var map = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var node in Nodes)
        {
            foreach (var input in node.Inputs.Distinct(StringComparer.Ordinal))
            {
                if (input.Length == 0) continue;
                if (!map.TryGetValue(input, out var list)) map[input] = list = [];
                list.Add(node);
            }
        }
        return map;
    }
}
