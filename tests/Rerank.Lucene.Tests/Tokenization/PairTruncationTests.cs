using Rerank.Lucene.Tokenization;

namespace Rerank.Lucene.Tests.Tokenization;

public sealed class PairTruncationTests
{
    [Theory]
    [InlineData(5, 5, 10, 3, 4)] // tie, odd budget 7: Rust keeps (3, 4); Python's slow loop would keep (4, 3)
    [InlineData(9, 5, 10, 4, 3)] // both cut, the query longer: the shorter document keeps 7 / 2
    [InlineData(12, 10, 10, 3, 4)] // both sides >= max_length: the query keeps 7 / 2 whatever its length
    [InlineData(2, 20, 10, 2, 5)] // only the longer side is cut
    [InlineData(20, 2, 10, 5, 2)]
    [InlineData(3, 4, 10, 3, 4)] // fits: nothing cut
    [InlineData(6, 6, 11, 4, 4)] // even budget 8: halves
    public void LongestFirst_Lengths_KeepsWhatRustKeeps(int query, int document, int maxLength, int keptQuery, int keptDocument)
    {
        Assert.Equal((keptQuery, keptDocument), PairTruncation.LongestFirst(query, document, maxLength));
    }

    [Fact]
    public void LongestFirst_EveryCellOfReferenceGrid_MatchesRust()
    {
        var failures = new List<string>();
        foreach (var cell in ReferenceFixture.Instance.Root.GetProperty("truncationGrid").EnumerateArray())
        {
            var (maxLength, query, document) = (cell[0].GetInt32(), cell[1].GetInt32(), cell[2].GetInt32());
            var expected = (cell[3].GetInt32(), cell[4].GetInt32());
            var actual = PairTruncation.LongestFirst(query, document, maxLength);
            if (actual != expected) failures.Add($"({query}, {document}) max {maxLength}: expected {expected}, got {actual}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
