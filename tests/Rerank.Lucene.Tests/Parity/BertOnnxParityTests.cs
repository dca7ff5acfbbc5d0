using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;
using Rerank.Lucene.Modeling;
using Rerank.Lucene.Modeling.Onnx;
using Rerank.Lucene.Native;
using Rerank.Lucene.Tests.Native;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Rerank.Lucene.Tests.Parity;

/// <summary>
/// Our TorchSharp <see cref="BertModel"/>, loaded from the folder <see cref="BundledEncoder"/>
/// writes, against ONNX Runtime running the original ONNX bytes of the package, on real
/// SciFact (claim, abstract) pairs in padded batches: the last hidden state at every real
/// (unmasked) position, and the pooler output.
/// </summary>
[Collection(TorchCollection.Name)]
public class BertOnnxParityTests(ITestOutputHelper output)
{
    private const int MaxLength = 512;
    private const int Hidden = 384;
    private const double Tolerance = 1e-4;

    [DatasetFact("scifact")]
    public void LastHiddenState_ScifactPairsInPaddedBatches_MatchesOnnxRuntime()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var parent = TestPaths.NewTempDir("parity");
        try
        {
            var dir = BundledEncoder.ImportMiniLm(Path.Combine(parent, "minilm-l6"));
            var tokenizer = BertTokenizer.Create(Path.Combine(dir, "vocab.txt"), new BertOptions { LowerCaseBeforeTokenization = true });
            var batches = BuildBatches(tokenizer, TestPaths.DatasetOrNull("scifact")!);
            Assert.Equal(24, batches.Sum(b => b.Count));
            Assert.Equal(2, batches.SelectMany(b => b).Count(p => p.Truncated));

            TorchRuntime.EnsureLoaded();
            using var model = BertModelFolder.LoadBertModel(dir); // strict: every key, every shape
            model.eval();
            using var options = new SessionOptions { IntraOpNumThreads = 2 };
            using var session = new InferenceSession(MiniLmPackage.Locate().ReadModelOnnx(), options);

            var maxDiff = 0.0;
            var maxPoolerDiff = 0.0;
            var compared = 0L;
            foreach (var batch in batches)
            {
                var (ids, types, mask, length) = Pad(batch);
                var (expected, expectedPooled) = RunOnnx(session, ids, types, mask, batch.Count, length);
                var (actual, actualPooled) = RunTorch(model, ids, types, mask, batch.Count, length);
                maxPoolerDiff = Math.Max(maxPoolerDiff, expectedPooled.Zip(actualPooled, (e, a) => (double)Math.Abs(e - a)).Max());
                var batchMax = 0.0;
                for (var i = 0; i < expected.Length; i++)
                {
                    if (mask[i / Hidden] == 0) continue; // padded position: its value is not defined
                    batchMax = Math.Max(batchMax, Math.Abs(expected[i] - actual[i]));
                    compared++;
                }
                maxDiff = Math.Max(maxDiff, batchMax);
                output.WriteLine($"lengths {string.Join(",", batch.Select(p => p.Ids.Length))} padded to {length}: max diff {batchMax:E3}");
            }

            output.WriteLine($"max |TorchSharp - ONNX Runtime| over {compared} real values: {maxDiff:E3} ({clock.Elapsed.TotalSeconds:F0} s in all)");
            output.WriteLine($"pooler output: max diff {maxPoolerDiff:E3}");
            Assert.True(maxDiff <= Tolerance, $"max |TorchSharp - ONNX Runtime| = {maxDiff:E3} > {Tolerance:E0}");
            Assert.True(maxPoolerDiff <= Tolerance, $"pooler output: max |TorchSharp - ONNX Runtime| = {maxPoolerDiff:E3} > {Tolerance:E0}");
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    private sealed record Pair(long[] Ids, long[] Types, bool Truncated);

    // 24 pairs: the first 24 claims of queries.jsonl, each with an abstract picked by length:
    // 22 spread evenly over the shortest third of the corpus ordered by word count (to keep the
    // compute small), then the 2 longest, which exceed 512 tokens and are truncated. Sorted by
    // token length, batches 1 and 2 hold the middle pairs; batch 3 holds the 6 shortest with
    // the 2 truncated ones, so most of it is padding.
    private static List<List<Pair>> BuildBatches(BertTokenizer tokenizer, string scifact)
    {
        var queries = File.ReadLines(Path.Combine(scifact, "queries.jsonl")).Take(24)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList();
        var docs = File.ReadLines(Path.Combine(scifact, "corpus.jsonl"))
            .Select((line, index) =>
            {
                var e = JsonDocument.Parse(line).RootElement;
                var text = $"{e.GetProperty("title").GetString()} {e.GetProperty("text").GetString()}";
                return (text, index, words: text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
            })
            .OrderBy(d => d.words).ThenBy(d => d.index)
            .ToList();
        var picked = Enumerable.Range(0, 22).Select(k => docs[k * (docs.Count / 3) / 21].text)
            .Concat(docs.TakeLast(2).Select(d => d.text)).ToList();

        var pairs = queries.Zip(picked, (q, d) => Encode(tokenizer, q, d)).OrderBy(p => p.Ids.Length).ToList();
        return [pairs[6..14], pairs[14..22], [.. pairs[0..6], .. pairs[22..24]]];
    }

    // [CLS] query [SEP] document [SEP], the document cut so that the pair fits 512 tokens.
    private static Pair Encode(BertTokenizer tokenizer, string query, string document)
    {
        var q = tokenizer.EncodeToIds(query, addSpecialTokens: false);
        var d = tokenizer.EncodeToIds(document, addSpecialTokens: false);
        var room = MaxLength - q.Count - 3;
        var truncated = d.Count > room;
        var kept = truncated ? d.Take(room).ToList() : d.ToList();
        var ids = tokenizer.BuildInputsWithSpecialTokens(q, kept);
        var types = tokenizer.CreateTokenTypeIdsFromSequences(q, kept);
        return new Pair(ids.Select(i => (long)i).ToArray(), types.Select(t => (long)t).ToArray(), truncated);
    }

    private static (long[] Ids, long[] Types, long[] Mask, int Length) Pad(List<Pair> batch)
    {
        var length = batch.Max(p => p.Ids.Length);
        var ids = new long[batch.Count * length]; // 0 = [PAD]
        var types = new long[batch.Count * length];
        var mask = new long[batch.Count * length];
        for (var b = 0; b < batch.Count; b++)
        {
            batch[b].Ids.CopyTo(ids, b * length);
            batch[b].Types.CopyTo(types, b * length);
            Array.Fill(mask, 1L, b * length, batch[b].Ids.Length);
        }
        return (ids, types, mask, length);
    }

    // The graph's second output (named "924" by the exporter) is the pooler output, tanh(W h_CLS + b).
    private static (float[] Hidden, float[] Pooled) RunOnnx(InferenceSession session, long[] ids, long[] types, long[] mask, int batch, int length)
    {
        var pooledName = session.OutputNames.Single(n => n != "last_hidden_state");
        int[] shape = [batch, length];
        NamedOnnxValue[] inputs =
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, shape)),
        ];
        using var results = session.Run(inputs, ["last_hidden_state", pooledName]);
        var hidden = results.Single(r => r.Name == "last_hidden_state").AsTensor<float>();
        var pooled = results.Single(r => r.Name == pooledName).AsTensor<float>();
        Assert.Equal([batch, length, Hidden], hidden.Dimensions.ToArray());
        Assert.Equal([batch, Hidden], pooled.Dimensions.ToArray());
        return (hidden.ToArray(), pooled.ToArray());
    }

    private static (float[] Hidden, float[] Pooled) RunTorch(BertModel model, long[] ids, long[] types, long[] mask, int batch, int length)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long[] shape = [batch, length];
        var (hidden, pooled) = model.ForwardWithPooler(tensor(ids, shape), tensor(types, shape), tensor(mask, shape));
        Assert.Equal([batch, length, (long)Hidden], hidden.shape);
        return (hidden.contiguous().data<float>().ToArray(), pooled.contiguous().data<float>().ToArray());
    }
}
