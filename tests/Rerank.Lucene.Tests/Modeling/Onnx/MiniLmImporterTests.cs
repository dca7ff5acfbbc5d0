using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;

namespace Rerank.Lucene.Tests.Modeling.Onnx;

[Collection(MiniLmCollection.Name)]
public class MiniLmImporterTests(MiniLmFixture fixture)
{
    // The Hugging Face BertModel state dict of all-MiniLM-L6-v2, written out here
    // independently of MiniLmArchitecture.
    private static Dictionary<string, long[]> ExpectedHfKeys()
    {
        var keys = new Dictionary<string, long[]>
        {
            ["embeddings.word_embeddings.weight"] = [30522, 384],
            ["embeddings.position_embeddings.weight"] = [512, 384],
            ["embeddings.token_type_embeddings.weight"] = [2, 384],
            ["embeddings.LayerNorm.weight"] = [384],
            ["embeddings.LayerNorm.bias"] = [384],
            ["pooler.dense.weight"] = [384, 384],
            ["pooler.dense.bias"] = [384],
        };
        for (var l = 0; l < 6; l++)
        {
            foreach (var m in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                keys[$"encoder.layer.{l}.{m}.weight"] = [384, 384];
                keys[$"encoder.layer.{l}.{m}.bias"] = [384];
            }
            keys[$"encoder.layer.{l}.intermediate.dense.weight"] = [1536, 384];
            keys[$"encoder.layer.{l}.intermediate.dense.bias"] = [1536];
            keys[$"encoder.layer.{l}.output.dense.weight"] = [384, 1536];
            keys[$"encoder.layer.{l}.output.dense.bias"] = [384];
            foreach (var ln in new[] { "attention.output.LayerNorm", "output.LayerNorm" })
            {
                keys[$"encoder.layer.{l}.{ln}.weight"] = [384];
                keys[$"encoder.layer.{l}.{ln}.bias"] = [384];
            }
        }
        return keys;
    }

    [Fact]
    public void Import_BundledPackage_EveryHfKeyOnceWithItsShape()
    {
        var expected = ExpectedHfKeys();
        var weights = fixture.Encoder.Weights;

        Assert.Equal(103, expected.Count);
        Assert.Equal(expected.Keys.Order(), weights.Keys.Order());
        foreach (var (key, shape) in expected)
        {
            Assert.True(shape.SequenceEqual(weights[key].Shape), $"{key}: [{string.Join(", ", weights[key].Shape)}]");
            Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), weights[key].Values.Length);
        }
    }

    [Fact]
    public void Import_BundledPackage_ReadsGraphFacts()
    {
        var facts = fixture.Encoder.Facts;

        Assert.Equal(1e-12f, facts.LayerNormEps);
        Assert.Equal("gelu", facts.HiddenAct);
        Assert.Equal((float)(1 / Math.Sqrt(32)), facts.AttentionScale, 6);
        Assert.Equal(12, facts.NumAttentionHeads);
        Assert.Equal(-10000f, facts.MaskFillValue);
        Assert.True(facts.PositionIdsAreArange);
    }

    [Fact]
    public void Import_BundledPackage_MatchesOnnxRuntimeThroughPlainReference()
    {
        // "what is photosynthesis ?" [SEP] "plants convert light" with hand-picked ids from the
        // uncased vocab; the exact tokens do not matter, both sides get the same ids.
        long[] ids = [101, 2054, 2003, 7760, 6038, 25078, 1029, 102, 4264, 10463, 2422, 102];
        long[] types = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1];

        var expected = RunOnnx(fixture.OnnxBytes, ids, types);
        var actual = new PlainBertReference(fixture.Encoder.Weights, layers: 6, heads: 12, eps: 1e-12).LastHiddenState(ids, types);

        var maxDiff = 0.0;
        for (var t = 0; t < ids.Length; t++)
            for (var d = 0; d < 384; d++)
                maxDiff = Math.Max(maxDiff, Math.Abs(expected[0, t, d] - actual[t, d]));
        Assert.True(maxDiff <= 1e-4, $"max |ONNX Runtime - plain reference| = {maxDiff:E3}");
    }

    [Fact]
    public void MapWeights_MatMulThenAddOfNamedBias_NamesAndTransposesWeight()
    {
        // x[.., 2] @ "17"[2, 3] + "encoder.layer.0.intermediate.dense.bias"[3]
        var w = FloatTensor("17", [2, 3], [1, 2, 3, 4, 5, 6]);
        var b = FloatTensor("encoder.layer.0.intermediate.dense.bias", [3], [0, 0, 0]);
        var graph = Graph([w, b],
            Node("MatMul", ["x", "17"], ["m"]),
            Node("Add", ["encoder.layer.0.intermediate.dense.bias", "m"], ["y"]));

        var weights = MiniLmImporter.MapWeights(graph);

        Assert.Equal(["encoder.layer.0.intermediate.dense.bias", "encoder.layer.0.intermediate.dense.weight"], weights.Keys.Order());
        var mapped = weights["encoder.layer.0.intermediate.dense.weight"];
        Assert.Equal([3L, 2L], mapped.Shape);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], mapped.Values);
    }

    [Fact]
    public void MapWeights_MatMulWithoutNamedBias_ThrowsNamingIt()
    {
        var graph = Graph([FloatTensor("17", [1, 1], [1])], Node("MatMul", ["x", "17"], ["m"], "MatMul_9"));

        var ex = Assert.Throws<InvalidInputException>(() => MiniLmImporter.MapWeights(graph));

        Assert.Equal(
            "Cannot import the ONNX encoder: MatMul 'MatMul_9' with weight initializer '17' is not followed by an Add of a named '.bias' initializer.",
            ex.Message);
    }

    [Fact]
    public void MapWeights_TwoMatMulsIntoOneBias_ThrowsDuplicate()
    {
        var bias = FloatTensor("encoder.layer.0.attention.self.query.bias", [1], [0]);
        var graph = Graph([FloatTensor("1", [1, 1], [1]), FloatTensor("2", [1, 1], [2]), bias],
            Node("MatMul", ["x", "1"], ["m1"]),
            Node("Add", ["m1", bias.Name], ["y1"]),
            Node("MatMul", ["x", "2"], ["m2"]),
            Node("Add", [bias.Name, "m2"], ["y2"]));

        var ex = Assert.Throws<InvalidInputException>(() => MiniLmImporter.MapWeights(graph));

        Assert.Contains("'encoder.layer.0.attention.self.query.weight' is produced twice (again from initializer '2')", ex.Message);
    }

    [Fact]
    public void CheckAgainst_MissingAndExtraKeys_ListsThem()
    {
        var weights = ExpectedHfKeys().ToDictionary(kv => kv.Key, kv => new TensorData(kv.Value, new float[kv.Value.Aggregate(1L, (a, b) => a * b)]));
        weights.Remove("pooler.dense.bias");
        weights["encoder.layer.6.output.dense.bias"] = new TensorData([384], new float[384]);
        weights["embeddings.LayerNorm.weight"] = new TensorData([383], new float[383]);

        var ex = Assert.Throws<InvalidInputException>(() => MiniLmImporter.CheckAgainst(MiniLmArchitecture.MiniLmL6, weights));

        Assert.Equal(
            "The ONNX encoder does not match a BertModel with 6 layers, hidden 384, intermediate 1536, vocab 30522: "
            + "missing keys: pooler.dense.bias. unexpected keys: encoder.layer.6.output.dense.bias. "
            + "wrong shapes: embeddings.LayerNorm.weight is [383], expected [384].",
            ex.Message);
    }

    private static float[,,] RunOnnx(byte[] model, long[] ids, long[] types)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(model, options);
        var shape = new[] { 1, ids.Length };
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(ids.Select(_ => 1L).ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, shape)),
        };
        using var results = session.Run(inputs, ["last_hidden_state"]);
        var tensor = results.First().AsTensor<float>();
        var output = new float[1, ids.Length, 384];
        for (var t = 0; t < ids.Length; t++)
            for (var d = 0; d < 384; d++)
                output[0, t, d] = tensor[0, t, d];
        return output;
    }

    private static OnnxTensor FloatTensor(string name, long[] dims, float[] values) =>
        new(name, OnnxTensor.Float, dims, ReadOnlyMemory<byte>.Empty, values, []);

    private static OnnxNode Node(string op, string[] inputs, string[] outputs, string name = "") =>
        new(name, op, inputs, outputs, new Dictionary<string, OnnxAttribute>());

    private static OnnxGraph Graph(OnnxTensor[] initializers, params OnnxNode[] nodes) =>
        new(nodes, initializers.ToDictionary(t => t.Name), ["x"], ["y"]);
}
