namespace Search.Host.Serving;

/// <summary>The search page served at / (one self-contained HTML file, embedded in the program).</summary>
internal static class SearchPage
{
    /// <summary>The page's HTML.</summary>
    public static string Html { get; } = Load();

    private static string Load()
    {
        using var stream = typeof(SearchPage).Assembly.GetManifestResourceStream("SearchPage.html")
            ?? throw new InvalidOperationException("SearchPage.html is not embedded in search-host.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
