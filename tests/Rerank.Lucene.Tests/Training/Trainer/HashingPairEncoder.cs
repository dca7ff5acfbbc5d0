using Rerank.Training.Trainer;

namespace Rerank.Lucene.Tests.Training.Trainer;

/// <summary>
/// A stand-in for the BERT pair encoder: words map to ids 4..(vocab-1) by a fixed character sum;
/// [CLS]=1, [SEP]=2, padding 0; longest-first truncation; padded to the longest pair.
/// </summary>
internal sealed class HashingPairEncoder(int vocab = 64) : IPairBatchEncoder
{
    public int Calls { get; private set; }

    public EncodedPairBatch Encode(IReadOnlyList<(string Query, string Document)> pairs, int maxLength)
    {
        Calls++;
        var encoded = pairs.Select(p => EncodeOne(p.Query, p.Document, maxLength)).ToList();
        var length = encoded.Max(e => e.Ids.Count);
        var rows = pairs.Count;
        var ids = new long[rows * length];
        var mask = new long[rows * length];
        var types = new long[rows * length];
        for (var r = 0; r < rows; r++)
        {
            for (var t = 0; t < encoded[r].Ids.Count; t++)
            {
                ids[r * length + t] = encoded[r].Ids[t];
                mask[r * length + t] = 1;
                types[r * length + t] = encoded[r].Types[t];
            }
        }
        return new EncodedPairBatch(ids, mask, types, rows, length);
    }

    private (List<long> Ids, List<long> Types) EncodeOne(string query, string document, int maxLength)
    {
        var q = Words(query);
        var d = Words(document);
        while (q.Count + d.Count + 3 > maxLength) (q.Count > d.Count ? q : d).RemoveAt((q.Count > d.Count ? q : d).Count - 1);
        var ids = new List<long> { 1 };
        ids.AddRange(q);
        ids.Add(2);
        var firstSegment = ids.Count;
        ids.AddRange(d);
        ids.Add(2);
        var types = ids.Select((_, i) => i < firstSegment ? 0L : 1L).ToList();
        return (ids, types);
    }

    private List<long> Words(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => 4L + w.Sum(c => c) % (vocab - 4)).ToList();
}
