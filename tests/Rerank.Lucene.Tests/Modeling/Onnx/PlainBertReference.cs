using Rerank.Lucene.Modeling;

namespace Rerank.Lucene.Tests.Modeling.Onnx;

/// <summary>
/// A deliberately plain, loop-by-loop BERT encoder over Hugging Face weight names and
/// layouts (linear weights [out, in]), in double precision, for one unpadded sequence. It
/// checks the importer against ONNX Runtime without TorchSharp: if a weight were mapped to
/// the wrong name or left transposed, its output would differ grossly.
/// </summary>
internal sealed class PlainBertReference(IReadOnlyDictionary<string, TensorData> weights, int layers, int heads, double eps)
{
    public float[,] LastHiddenState(long[] ids, long[] typeIds)
    {
        var n = ids.Length;
        var hidden = (int)weights["embeddings.word_embeddings.weight"].Shape[1];
        var x = new double[n][];
        for (var t = 0; t < n; t++)
        {
            x[t] = new double[hidden];
            for (var d = 0; d < hidden; d++)
            {
                x[t][d] = Row("embeddings.word_embeddings.weight", ids[t], d)
                          + Row("embeddings.token_type_embeddings.weight", typeIds[t], d)
                          + Row("embeddings.position_embeddings.weight", t, d);
            }
            x[t] = LayerNorm(x[t], "embeddings.LayerNorm");
        }

        for (var layer = 0; layer < layers; layer++)
        {
            var p = $"encoder.layer.{layer}.";
            var q = x.Select(v => Linear(v, p + "attention.self.query")).ToArray();
            var k = x.Select(v => Linear(v, p + "attention.self.key")).ToArray();
            var v = x.Select(row => Linear(row, p + "attention.self.value")).ToArray();
            var headSize = hidden / heads;
            var context = new double[n][];
            for (var t = 0; t < n; t++) context[t] = new double[hidden];
            for (var h = 0; h < heads; h++)
            {
                for (var i = 0; i < n; i++)
                {
                    var scores = new double[n];
                    for (var j = 0; j < n; j++)
                    {
                        double s = 0;
                        for (var d = 0; d < headSize; d++) s += q[i][h * headSize + d] * k[j][h * headSize + d];
                        scores[j] = s / Math.Sqrt(headSize);
                    }
                    var max = scores.Max();
                    var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
                    var sum = exp.Sum();
                    for (var j = 0; j < n; j++)
                        for (var d = 0; d < headSize; d++)
                            context[i][h * headSize + d] += exp[j] / sum * v[j][h * headSize + d];
                }
            }
            for (var t = 0; t < n; t++)
            {
                var attended = Add(Linear(context[t], p + "attention.output.dense"), x[t]);
                var a = LayerNorm(attended, p + "attention.output.LayerNorm");
                var inter = Linear(a, p + "intermediate.dense").Select(Gelu).ToArray();
                x[t] = LayerNorm(Add(Linear(inter, p + "output.dense"), a), p + "output.LayerNorm");
            }
        }

        var result = new float[n, hidden];
        for (var t = 0; t < n; t++)
            for (var d = 0; d < hidden; d++)
                result[t, d] = (float)x[t][d];
        return result;
    }

    private double Row(string name, long row, int col)
    {
        var w = weights[name];
        return w.Values[row * w.Shape[1] + col];
    }

    private double[] Linear(double[] input, string prefix)
    {
        var w = weights[prefix + ".weight"];
        var b = weights[prefix + ".bias"].Values;
        var outDim = (int)w.Shape[0];
        var inDim = (int)w.Shape[1];
        var y = new double[outDim];
        for (var o = 0; o < outDim; o++)
        {
            double s = b[o];
            for (var i = 0; i < inDim; i++) s += w.Values[o * inDim + i] * input[i];
            y[o] = s;
        }
        return y;
    }

    private double[] LayerNorm(double[] input, string prefix)
    {
        var gamma = weights[prefix + ".weight"].Values;
        var beta = weights[prefix + ".bias"].Values;
        var mean = input.Average();
        var variance = input.Select(z => (z - mean) * (z - mean)).Average();
        return input.Select((z, i) => (z - mean) / Math.Sqrt(variance + eps) * gamma[i] + beta[i]).ToArray();
    }

    private static double[] Add(double[] a, double[] b) => a.Select((z, i) => z + b[i]).ToArray();

    // Exact (erf) GELU: x/2 * (1 + erf(x / sqrt 2)).
    private static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    // Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, so GELU is off by under 1e-6 for |x| < 13,
    // two orders below the 1e-4 the tests allow.
    private static double Erf(double x)
    {
        var sign = Math.Sign(x);
        x = Math.Abs(x);
        var t = 1 / (1 + 0.3275911 * x);
        var poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        return sign * (1 - poly * Math.Exp(-x * x));
    }
}
