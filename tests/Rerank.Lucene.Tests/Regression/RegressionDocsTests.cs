namespace Rerank.Lucene.Tests.Regression;

/// <summary>docs/REGRESSIONS.md is generated from eval/regressions/*.json and must stay in sync.</summary>
public sealed class RegressionDocsTests
{
    [Fact]
    public void RegressionsDoc_MatchesRecords()
    {
        var path = Path.Combine(TestPaths.RepoRoot, "docs", "REGRESSIONS.md");
        var expected = RegressionRecord.RenderMarkdown(RegressionRecord.All());
        if (Environment.GetEnvironmentVariable("SEARCHRERANK_UPDATE_DOCS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, expected);
        }

        Assert.True(File.Exists(path), "docs/REGRESSIONS.md is missing: run the tests once with SEARCHRERANK_UPDATE_DOCS=1");
        Assert.Equal(expected, File.ReadAllText(path));
    }
}
