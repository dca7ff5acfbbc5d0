using Rerank.Training.Mining;

namespace Rerank.Lucene.Tests.Training.Mining;

/// <summary>Fixed rankings per query; records the depth asked for.</summary>
internal sealed class FakeCandidateSource(Dictionary<string, (string DocId, float Score)[]> rankings) : ICandidateSource
{
    public List<(string Query, int Depth)> Calls { get; } = [];

    public IReadOnlyList<Candidate> Search(string query, int depth)
    {
        Calls.Add((query, depth));
        return rankings.GetValueOrDefault(query, []).Take(depth).Select((h, i) => new Candidate(h.DocId, i, h.Score)).ToArray();
    }
}
