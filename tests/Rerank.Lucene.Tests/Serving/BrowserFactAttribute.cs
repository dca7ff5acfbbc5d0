namespace Rerank.Lucene.Tests.Serving;

/// <summary>
/// A fact that drives Debian's Chromium (<c>apt-get install chromium</c>; .ci/run installs it). Where it is absent the
/// test is skipped saying so, unless SEARCHRERANK_REQUIRE_BROWSER=1 (set by .ci/run): then it runs and fails, so CI
/// never passes without the browser test.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>Where the browser is looked for: SEARCHRERANK_CHROMIUM, else /usr/bin/chromium.</summary>
    public static string ChromiumPath { get; } = Environment.GetEnvironmentVariable("SEARCHRERANK_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public BrowserFactAttribute()
    {
        if (!File.Exists(ChromiumPath) && Environment.GetEnvironmentVariable("SEARCHRERANK_REQUIRE_BROWSER") != "1")
            Skip = $"No Chromium at {ChromiumPath}: install it with `apt-get install -y chromium` (or set SEARCHRERANK_CHROMIUM) to run the browser test.";
    }
}
