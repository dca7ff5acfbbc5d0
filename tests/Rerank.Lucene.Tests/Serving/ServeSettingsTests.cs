using Microsoft.Extensions.Configuration;
using Rerank.Lucene;
using Search.Host.Hosting;
using Search.Host.Serving;

namespace Rerank.Lucene.Tests.Serving;

/// <summary>Serve settings and settings files that are wrong are refused in the settings' own terms: name, value found, range, file and line.</summary>
public sealed class ServeSettingsTests
{
    private static string Refused(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
        return Assert.Throws<InvalidInputException>(() => ServeCommand.ReadServeOptions(configuration, new Dictionary<string, string?>())).Message;
    }

    [Fact]
    public void OutOfRange_NamesTheSettingTheRangeAndTheValue()
    {
        var message = Refused(("Serve:MaxTexts", "0"), ("Serve:ShutdownSeconds", "-1"));
        Assert.Contains("Serve:MaxTexts must be between 1 and 100000, found 0.", message);
        Assert.Contains("Serve:ShutdownSeconds must be between 0 and 3600, found -1.", message);
        Assert.DoesNotContain("The field", message);
    }

    [Fact]
    public void UnknownKey_WrongType_AndShortKey_AreNamedWithoutDotNetWords()
    {
        var unknown = Refused(("Serve:MaxTxts", "5"));
        Assert.Contains("Serve:MaxTxts is not a setting", unknown);
        Assert.Contains("MaxTexts", unknown);
        Assert.DoesNotContain("ErrorOnUnknownConfiguration", unknown);
        Assert.Contains("Serve:MaxTexts must be a whole number, found 'abc'", Refused(("Serve:MaxTexts", "abc")));
        Assert.Contains("Serve:DynamicBatching must be true or false, found 'yes'", Refused(("Serve:DynamicBatching", "yes")));
        var key = Refused(("Serve:ApiKey", "short-key"));
        Assert.Contains("Serve:ApiKey must be at least 16 characters, found 9.", key);
        Assert.DoesNotContain("short-key", key); // the key is never printed
    }

    [Fact]
    public void MalformedSettingsFile_IsRefused_WithItsPathLineAndPosition()
    {
        var path = Path.Combine(Path.GetTempPath(), $"appsettings-{Guid.NewGuid():N}.json");
        // The ',' on line 3 stands where a value should: 4 spaces, "MaxTexts" in quotes (10), ':' and a space put it at position 17.
        File.WriteAllText(path, "{\n  \"Serve\": {\n    \"MaxTexts\": ,\n  }\n}\n");
        try
        {
            var e = Assert.Throws<InvalidInputException>(() => SearchHostBuilder.AddSettingsFile(new ConfigurationBuilder(), path));
            Assert.True(e.Message.StartsWith($"settings file {path}, line 3, position 17: not valid JSON (", StringComparison.Ordinal), e.Message);
            Assert.Equal(3, e.Line);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
